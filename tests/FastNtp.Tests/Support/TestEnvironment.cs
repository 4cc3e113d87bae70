using FastNtp.Tests.Shared;

namespace FastNtp.Tests.Support;

/// <summary>Runs the fastntp program this test project builds beside itself.</summary>
public static class TestEnvironment
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Set for every process the tests start (they inherit it, through `ip netns exec` too).</summary>
    public const string AllowRootVariable = "FASTNTP__SERVER__ALLOWROOT";

    /// <summary>
    /// The suite runs as root (network namespaces, XDP) and its servers listen on loopback or inside its own
    /// namespaces, so they may serve as root; `serve` refuses to unless told. The privilege-drop tests say otherwise.
    /// </summary>
    static TestEnvironment()
    {
        Environment.SetEnvironmentVariable(AllowRootVariable, "true");
    }

    /// <summary>The fastntp assembly the test project builds beside itself.</summary>
    public static string FastNtpDll => Path.Combine(AppContext.BaseDirectory, "fastntp.dll");

    public static ExternalProcess StartFastNtp(IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        ExternalProcess.Start("dotnet", new[] { FastNtpDll }.Concat(arguments), environment);

    public static (int ExitCode, string Output) RunFastNtp(IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        ExternalProcess.Run("dotnet", new[] { FastNtpDll }.Concat(arguments), TimeSpan.FromSeconds(60), environment);

    /// <summary>Starts `fastntp serve` and waits until it reports it is serving.</summary>
    public static ExternalProcess StartServer(params string[] arguments)
    {
        ExternalProcess server = StartFastNtp(new[] { "serve" }.Concat(arguments));
        if (!server.WaitForLine(l => l.Contains("Serving NTP", StringComparison.Ordinal), StartTimeout))
        {
            string output = server.Output;
            server.Dispose();
            Assert.Fail($"fastntp serve did not start: {output}");
        }

        return server;
    }

    /// <summary>
    /// Runs `fastntp query 127.0.0.1:PORT` every half second until it succeeds or <paramref name="attempts"/> run out, for a
    /// server that needs time to bind or to synchronize; returns the last result.
    /// </summary>
    public static (int ExitCode, string Output) QueryUntilAnswered(int port, int attempts)
    {
        (int exit, string output) = (0, "");
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            (exit, output) = RunFastNtp(["query", $"127.0.0.1:{port}", "--timeout", "1"]);
            if (exit == 0) break;
            Thread.Sleep(500);
        }

        return (exit, output);
    }
}
