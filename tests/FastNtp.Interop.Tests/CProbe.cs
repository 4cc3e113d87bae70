using System.Globalization;
using System.Text;

namespace FastNtp.Interop.Tests;

/// <summary>
/// Builds and runs a small C program against this machine's headers that prints the value of each fact (a C
/// expression: a sizeof, an offsetof, a constant): what the interop structs and constants are pinned to. Needs gcc
/// and fails (does not skip) without it, naming the package.
/// </summary>
internal static class CProbe
{
    /// <summary>Each fact's value by its text, computed after <paramref name="prelude"/> (the includes and definitions they need).</summary>
    public static Dictionary<string, long> Run(string prelude, IEnumerable<string> facts)
    {
        string gcc = ExternalProcess.RequireProgram("gcc", "gcc");
        // The prelude goes first: a feature macro such as _GNU_SOURCE works only before the first include.
        StringBuilder program = new StringBuilder(prelude).Append("#include <stdio.h>\n#include <stddef.h>\nint main(void) {\n");
        foreach (string fact in facts)
            program.Append(CultureInfo.InvariantCulture, $"  printf(\"%s=%lld\\n\", \"{fact}\", (long long)({fact}));\n");
        program.Append("  return 0;\n}\n");

        string dir = Directory.CreateTempSubdirectory("fastntp-abi-").FullName;
        try
        {
            string source = Path.Combine(dir, "probe.c");
            string binary = Path.Combine(dir, "probe");
            File.WriteAllText(source, program.ToString());
            ExternalProcess.RunChecked(gcc, ["-O0", "-o", binary, source], TimeSpan.FromSeconds(60));
            return ExternalProcess.RunChecked(binary, [], TimeSpan.FromSeconds(60))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(l => l[..l.LastIndexOf('=')], l => long.Parse(l[(l.LastIndexOf('=') + 1)..], CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
