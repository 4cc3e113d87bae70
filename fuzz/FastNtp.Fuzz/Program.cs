using FastNtp.Fuzz;
using SharpFuzz;

// fastntp-fuzz --list                 the targets, one a line
// fastntp-fuzz TARGET                 run TARGET under AFL++ (afl-fuzz starts this)
// fastntp-fuzz TARGET --replay PATH.. run TARGET on files or directories in-process; exit 1 on a finding
// fastntp-fuzz seed DIR               write the generated seed corpora under DIR/TARGET/
if (args is ["--list"])
{
    foreach (string name in FuzzTargets.All.Keys) Console.WriteLine(name);
    return 0;
}

if (args is ["seed", string directory])
{
    SeedCorpus.Write(directory);
    return 0;
}

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out Action<byte[]>? target))
{
    Console.Error.WriteLine($"usage: fastntp-fuzz --list | TARGET [--replay PATH...] | seed DIR; targets: {string.Join(' ', FuzzTargets.All.Keys)}");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay") return Replay.Run(target, args[2..]);

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
