// The namespaces of FastNtp.Protocol that most of these tests use, once for the project.
global using System.Buffers.Binary;
global using FastNtp.Protocol.Frames;
global using FastNtp.Protocol.Ntp;
global using FastNtp.Protocol.Nts;
global using FastNtp.Protocol.Policy;
global using FastNtp.Protocol.Server;
global using FastNtp.Protocol.Sync;
