namespace FastNtp.Server.Configuration;

/// <summary>
/// Wrong settings: one line per problem, each naming the option. <see cref="Exception.Message"/> is the first
/// line; <see cref="Errors"/> has them all.
/// </summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message) : this([message])
    {
    }

    public ConfigurationException(IReadOnlyList<string> errors) : base(errors[0])
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
