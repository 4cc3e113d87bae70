// The namespaces most of these tests use, once for the project: layouts, sockets and the shared test helpers.
global using System.Net;
global using System.Net.Sockets;
global using System.Runtime.CompilerServices;
global using System.Runtime.InteropServices;
global using FastNtp.Interop.Sockets;
global using FastNtp.Tests.Shared;
