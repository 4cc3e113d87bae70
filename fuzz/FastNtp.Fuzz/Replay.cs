namespace FastNtp.Fuzz;

/// <summary>Runs a target over saved inputs without AFL++: for a crash's reproduction and the corpus check.</summary>
internal static class Replay
{
    public static int Run(Action<byte[]> target, IEnumerable<string> paths)
    {
        int inputs = 0, findings = 0;
        foreach (string path in paths)
        {
            IEnumerable<string> files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path).Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal)).Order()
                : [path];
            foreach (string file in files)
            {
                inputs++;
                try
                {
                    target(File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    findings++;
                    Console.Error.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
                    Console.Error.WriteLine(e.StackTrace);
                }
            }
        }

        Console.WriteLine($"replayed {inputs} inputs, {findings} findings");
        return findings == 0 ? 0 : 1;
    }
}
