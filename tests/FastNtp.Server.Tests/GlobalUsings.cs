// The namespaces most of these tests use, once for the project: sockets, the protocol core, the server's parts.
global using System.Net;
global using System.Net.Sockets;
global using FastNtp.Protocol.Ntp;
global using FastNtp.Protocol.Policy;
global using FastNtp.Protocol.Server;
global using FastNtp.Server.Configuration;
global using FastNtp.Server.Engine;
global using FastNtp.Server.Hosting;
global using FastNtp.Server.Metrics;
global using FastNtp.Tests.Shared;
