using System.Reflection;

namespace FastNtp.Server.Tests.Configuration;

public sealed class OptionTableTests
{
    /// <summary>Every key the binder accepts, as Section:Key (Section:Sub:Key in a subsection), with whether it is a list.</summary>
    private static IEnumerable<(string Key, bool IsList)> BindableKeys() =>
        from section in typeof(FastNtpOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        from key in KeysOf(section.PropertyType, section.Name)
        select key;

    /// <summary>
    /// A property whose type is another options class is a subsection, not a key; a dictionary (Logging:LogLevel) is
    /// a section of free names whose row is its Default.
    /// </summary>
    private static IEnumerable<(string Key, bool IsList)> KeysOf(Type options, string prefix) =>
        from property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        from key in property.PropertyType.Name.EndsWith("Options", StringComparison.Ordinal)
            ? KeysOf(property.PropertyType, $"{prefix}:{property.Name}")
            : property.PropertyType == typeof(Dictionary<string, string>)
                ? [($"{prefix}:{property.Name}:{LoggingSettings.DefaultCategory}", false)]
                : [($"{prefix}:{property.Name}", property.PropertyType == typeof(List<string>))]
        select key;

    [Fact]
    public void Table_HasExactlyOneRowPerConfigurationKey()
    {
        Assert.Equal(
            BindableKeys().OrderBy(k => k.Key, StringComparer.Ordinal),
            OptionTable.Rows.Select(r => (r.Key, r.IsList)).OrderBy(k => k.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Options_AreUniqueAndSpelledLikeOptions()
    {
        string[] options = [.. OptionTable.Rows.Where(r => r.Option is not null).Select(r => r.Option!)];
        Assert.Equal(options.Length, options.Distinct(StringComparer.Ordinal).Count());
        Assert.All(options, o => Assert.Matches("^--[a-z][a-z-]*$", o));
        Assert.All(OptionTable.Rows, r => Assert.False(string.IsNullOrWhiteSpace(r.Description)));
    }

    [Fact]
    public void EveryRowsEnvironmentVariable_ReachesAKnownKey()
    {
        foreach (OptionRow row in OptionTable.Rows)
        {
            var environment = new Dictionary<string, string?> { [row.EnvironmentVariable] = "1" };
            try
            {
                ConfigurationLoader.Load(null, [], environment);
            }
            catch (ConfigurationException e)
            {
                // "1" may be a bad value for the key; a misspelt variable would be an unknown key instead.
                Assert.DoesNotContain("unknown configuration key", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("Server:Listen:3", "--listen")]
    [InlineData("Server:Workers", "--workers")]
    [InlineData("Server:Engine", "Server:Engine")]
    [InlineData("Nts:KeyFile", "--nts-key-file")]
    [InlineData("Nowhere:Key", "Nowhere:Key")]
    public void ErrorLines_NameTheOptionWhereThereIsOne(string key, string label) => Assert.Equal(label, OptionTable.Label(key));

    [Fact]
    public void ReadmeConfigurationTable_IsTheOptionTable()
    {
        string[] readme = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "README.md"));
        int header = Array.IndexOf(readme, "| option | key | environment variable | meaning |");
        Assert.True(header >= 0, "the README has no configuration table");
        string[] rows = [.. readme.Skip(header + 2).TakeWhile(l => l.StartsWith('|'))];

        string[] expected =
        [
            .. OptionTable.Rows.Select(r =>
                $"| {(r.Option is null ? "—" : $"`{r.Option}`")} | `{r.Key}`{(r.IsList ? " (list)" : "")} | `{r.EnvironmentVariable}` | {r.Description} |"),
        ];
        Assert.Equal(expected, rows);
    }
}
