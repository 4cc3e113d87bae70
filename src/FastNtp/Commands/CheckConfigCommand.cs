using System.CommandLine;
using FastNtp.Server.Configuration;

namespace FastNtp.Commands;

/// <summary>`fastntp check-config [FILE]`: every problem of a configuration at once, as `serve` would meet it.</summary>
public static class CheckConfigCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file")
        {
            Description = $"JSON configuration file; default {ConfigurationLoader.DefaultFile} when it exists",
            HelpName = "FILE",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command(
            "check-config",
            "Check a configuration (the file with FASTNTP__* environment variables) and list every problem; exit 0 valid, 2 invalid.") { file };
        command.SetAction(parse =>
        {
            string? path = ConfigurationLoader.ChooseFile(parse.GetValue(file));
            ConfigurationCheck check = ConfigurationLoader.Check(path, []);
            foreach (string error in check.Errors) Console.Error.WriteLine($"fastntp: {error}");
            if (check.Errors.Count > 0) return ExitCodes.ConfigurationError;
            Console.WriteLine($"fastntp: {path ?? "the built-in defaults"}: configuration is valid");
            return ExitCodes.Ok;
        });
        return command;
    }
}
