using System.CommandLine;
using FastNtp.Commands;

var root = new RootCommand("FastNtp: a fast NTP/NTS server for public stratum servers and time fleets.")
{
    ServeCommand.Create(),
    QueryCommand.Create(),
    StatusCommand.Create(),
    ClientsCommand.Create(),
    NtsKeCommand.Create(),
    KeygenCommand.Create(),
};

// `serve` handles SIGINT and SIGTERM itself so that a stop is clean and exits 0.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
