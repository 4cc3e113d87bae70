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
    CheckConfigCommand.Create(),
};

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line and where to look, not the whole help: the same exit code as any other wrong setting.
    string command = parse.CommandResult.Command == root ? "fastntp" : $"fastntp {parse.CommandResult.Command.Name}";
    Console.Error.WriteLine($"fastntp: {CommandLineErrors.Describe(parse.Errors[0].Message)} (see '{command} --help')");
    return ExitCodes.ConfigurationError;
}

// `serve` handles SIGINT and SIGTERM itself so that a stop is clean and exits 0.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await parse.InvokeAsync(invocation).ConfigureAwait(false);
