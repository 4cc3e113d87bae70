namespace FastNtp.Protocol.Nts;

/// <summary>
/// The TLS 1.3 exporter (RFC 5705 / RFC 8446 section 7.5) of one finished NTS-KE handshake, injected into the
/// NTS-KE sessions so they run without TLS in tests. Implementations use <see cref="NtsKeMessage.ExporterLabel"/>.
/// </summary>
public interface INtsKeyExporter
{
    /// <summary>Fills <paramref name="output"/> with keying material for <paramref name="context"/>; false when the session cannot export.</summary>
    bool TryExport(ReadOnlySpan<byte> context, Span<byte> output);
}
