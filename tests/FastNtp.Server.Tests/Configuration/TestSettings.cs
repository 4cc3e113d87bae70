namespace FastNtp.Server.Tests.Configuration;

/// <summary>Settings for tests, made the way `fastntp serve` makes them: keys through the loader and its validation.</summary>
internal static class TestSettings
{
    public static FastNtpSettings Load(params (string Key, string Value)[] keys) =>
        ConfigurationLoader.Load(null, keys.Select(k => new KeyValuePair<string, string?>(k.Key, k.Value)), new Dictionary<string, string?>());
}
