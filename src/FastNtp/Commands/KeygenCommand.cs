using System.CommandLine;
using FastNtp.Server.Nts;

namespace FastNtp.Commands;

/// <summary>`fastntp keygen --out FILE`: a new fleet root secret for NTS cookie keys.</summary>
public static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { HelpName = "FILE", Description = "file to create (mode 0600); an existing file is never overwritten", Required = true };
        var command = new Command("keygen", "Create a fleet root secret for NTS cookies; copy it to every server of the fleet.") { output };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(output)!;
            try
            {
                NtsKeyFile.Generate(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"fastntp: --out: {e.Message}");
                return ExitCodes.ConfigurationError;
            }

            Console.WriteLine($"fastntp: wrote a new NTS root secret to {path}; give every server of the fleet the same file (--nts-key-file)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
