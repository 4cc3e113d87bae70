namespace FastNtp.Server.Configuration;

/// <summary>A wrong setting: the message is the one line an operator sees before start-up stops.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
