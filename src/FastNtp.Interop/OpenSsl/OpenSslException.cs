using System.Text;

namespace FastNtp.Interop.OpenSsl;

/// <summary>An OpenSSL call failed; the message carries OpenSSL's own error queue.</summary>
public sealed class OpenSslException : Exception
{
    public OpenSslException()
    {
    }

    public OpenSslException(string message)
        : base(message)
    {
    }

    public OpenSslException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Builds an exception from <paramref name="what"/> and everything on this thread's OpenSSL error queue.</summary>
    internal static OpenSslException FromErrorQueue(string what) => new($"{what}: {DrainErrorQueue()}");

    /// <summary>Empties this thread's error queue into one line ("no OpenSSL error" when empty).</summary>
    internal static unsafe string DrainErrorQueue()
    {
        var text = new StringBuilder();
        byte* buffer = stackalloc byte[256];
        nuint error;
        while ((error = Interop.Crypto.ERR_get_error()) != 0)
        {
            Interop.Crypto.ERR_error_string_n(error, buffer, 256);
            if (text.Length > 0) text.Append("; ");
            text.Append(new string((sbyte*)buffer));
        }

        return text.Length == 0 ? "no OpenSSL error" : text.ToString();
    }
}
