// The namespaces most of these tests use, once for the project: FastNtp.Protocol's and FsCheck's.
global using System.Buffers.Binary;
global using FastNtp.Protocol.Frames;
global using FastNtp.Protocol.Ntp;
global using FastNtp.Protocol.Nts;
global using FastNtp.Protocol.Policy;
global using FastNtp.Protocol.Server;
global using FastNtp.Protocol.Sync;
global using FsCheck;
global using FsCheck.Fluent;
