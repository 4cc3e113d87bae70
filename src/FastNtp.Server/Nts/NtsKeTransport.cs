using System.Buffers;
using System.IO.Pipelines;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;

namespace FastNtp.Server.Nts;

/// <summary>How the TLS part of an NTS-KE connection ended before any record was exchanged.</summary>
public enum NtsKeHandshakeResult : byte
{
    Ok,
    /// <summary>TLS failed: a bad record, no common version or cipher, a certificate that did not verify.</summary>
    TlsFailed,
    /// <summary>The peer did not agree to ALPN ntske/1 (RFC 8915 section 4 makes it mandatory).</summary>
    NoAlpn,
    /// <summary>The peer closed the connection during the handshake.</summary>
    Closed,
}

/// <summary>The I/O half shared by the NTS-KE server and client: the handshake with its ALPN check, and reading one message.</summary>
internal static class NtsKeTransport
{
    /// <summary>Looks at every octet received so far; true when the exchange has reached a final step.</summary>
    public delegate bool MessageStep(ReadOnlySpan<byte> received);

    public static async ValueTask<NtsKeHandshakeResult> HandshakeAsync(TlsDuplexPipe tls, CancellationToken cancellationToken)
    {
        if (!await tls.HandshakeAsync(cancellationToken).ConfigureAwait(false)) return tls.LastError is null ? NtsKeHandshakeResult.Closed : NtsKeHandshakeResult.TlsFailed;
        return tls.NegotiatedAlpn == NtsKeMessage.Alpn ? NtsKeHandshakeResult.Ok : NtsKeHandshakeResult.NoAlpn;
    }

    /// <summary>
    /// Reads plaintext until <paramref name="step"/> reports a final step (true) or the peer ends the stream (false).
    /// Nothing is consumed until then: the step always sees the message from its first octet. It must stop the read
    /// itself once more than <paramref name="limit"/> octets are buffered.
    /// </summary>
    public static async ValueTask<bool> ReadMessageAsync(PipeReader input, int limit, MessageStep step, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool final = Examine(buffer, limit, step);
            if (final || result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return final;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool Examine(ReadOnlySequence<byte> buffer, int limit, MessageStep step)
    {
        if (buffer.IsSingleSegment) return step(buffer.FirstSpan);
        // Enough to tell a complete message from one over the limit; the rest is never looked at.
        int length = (int)Math.Min(buffer.Length, limit + 1L);
        byte[] copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(copy);
            return step(copy.AsSpan(0, length));
        }
        finally
        {
            Array.Clear(copy, 0, length);
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}

/// <summary>The NTS exporter of one finished TLS handshake.</summary>
internal sealed class TlsKeyExporter(TlsDuplexPipe tls) : INtsKeyExporter
{
    public bool TryExport(ReadOnlySpan<byte> context, Span<byte> output) =>
        tls.ExportKeyingMaterial(NtsKeMessage.ExporterLabel, context, output);
}
