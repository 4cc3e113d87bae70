using System.Buffers;
using System.IO.Pipelines;

namespace FastNtp.Interop.OpenSsl;

/// <summary>
/// TLS as an <see cref="IDuplexPipe"/>: the application reads and writes plaintext through <see cref="Input"/> and
/// <see cref="Output"/>, and a <see cref="TlsConnection"/> (OpenSSL over memory BIOs) turns it into TLS records on a
/// byte transport (Kestrel's connection pipe on the server, a socket stream on the client). After
/// <see cref="HandshakeAsync"/> two pumps move data: transport → OpenSSL → <see cref="Input"/>, and
/// <see cref="Output"/> → OpenSSL → transport; completing <see cref="Output"/> sends close_notify and ends the
/// transport's output. OpenSSL calls are serialized by a lock, transport writes by a send lock, so records leave in order.
/// The pipe owns the connection and disposes it once both pumps have stopped.
/// </summary>
public sealed class TlsDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    private const int SegmentLength = 4096;

    private readonly TlsConnection _tls;
    private readonly IDuplexPipe _transport;
    private readonly Pipe _input = new();
    private readonly Pipe _output = new();
    private readonly Lock _tlsLock = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private bool _transportClosed;

    public TlsDuplexPipe(TlsConnection tls, IDuplexPipe transport)
    {
        _tls = tls ?? throw new ArgumentNullException(nameof(tls));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
    }

    /// <summary>Plaintext from the peer; completed when the peer closes, with an <see cref="IOException"/> when TLS fails.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Plaintext for the peer; complete it to close the TLS session.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>OpenSSL's reason when the handshake or a later record failed.</summary>
    public string? LastError
    {
        get
        {
            lock (_tlsLock) return _tls.LastError;
        }
    }

    /// <summary>The negotiated ALPN protocol, or null.</summary>
    public string? NegotiatedAlpn
    {
        get
        {
            lock (_tlsLock) return _tls.NegotiatedAlpn;
        }
    }

    /// <summary>RFC 5705 keying material of the finished handshake.</summary>
    public bool ExportKeyingMaterial(string label, ReadOnlySpan<byte> context, Span<byte> output)
    {
        lock (_tlsLock) return _tls.ExportKeyingMaterial(label, context, output);
    }

    /// <summary>
    /// Runs the handshake; on success starts the pumps and returns true. False when TLS failed (see
    /// <see cref="LastError"/>) or the peer closed first. Cancellation (a deadline) throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async ValueTask<bool> HandshakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TlsStatus status;
            lock (_tlsLock) status = _tls.Handshake();
            await FlushTransportAsync(cancellationToken).ConfigureAwait(false);
            if (status == TlsStatus.Ok) break;
            if (status != TlsStatus.WantRead || !await ReceiveAsync(cancellationToken).ConfigureAwait(false)) return false;
        }

        _receiving = ReceiveLoopAsync(_stop.Token);
        _sending = SendLoopAsync(_stop.Token);
        return true;
    }

    /// <summary>Completes <see cref="Output"/> and waits until everything written, and close_notify, has gone to the transport.</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops both pumps (a peer that stopped reading cannot hold them), then frees the TLS session.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_receiving, _sending).ConfigureAwait(false);
        await _input.Writer.CompleteAsync().ConfigureAwait(false);
        await _output.Reader.CompleteAsync().ConfigureAwait(false);
        _tls.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    /// <summary>Feeds one read of the transport to OpenSSL; false when the transport has ended.</summary>
    private async ValueTask<bool> ReceiveAsync(CancellationToken cancellationToken)
    {
        ReadResult result = await _transport.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlySequence<byte> buffer = result.Buffer;
        // Decided before AdvanceTo, which hands the buffer's segments back to the pipe.
        bool ended = result.IsCompleted && buffer.IsEmpty;
        lock (_tlsLock)
        {
            foreach (ReadOnlyMemory<byte> segment in buffer) _tls.WriteIncoming(segment.Span);
        }

        _transport.Input.AdvanceTo(buffer.End);
        return !ended;
    }

    /// <summary>Sends every record OpenSSL has queued, in order.</summary>
    private async ValueTask FlushTransportAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_transportClosed) return;
            PipeWriter transport = _transport.Output;
            bool wrote = false;
            while (true)
            {
                Memory<byte> memory = transport.GetMemory(SegmentLength);
                int pending;
                lock (_tlsLock) pending = _tls.ReadOutgoing(memory.Span);
                if (pending == 0) break;
                transport.Advance(pending);
                wrote = true;
            }

            if (wrote) await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            PipeWriter plaintext = _input.Writer;
            while (true)
            {
                TlsStatus status;
                while (true)
                {
                    Memory<byte> memory = plaintext.GetMemory(SegmentLength);
                    int read;
                    lock (_tlsLock) status = _tls.Read(memory.Span, out read);
                    if (status != TlsStatus.Ok) break;
                    plaintext.Advance(read);
                }

                FlushResult flushed = await plaintext.FlushAsync(cancellationToken).ConfigureAwait(false);
                // Reading can queue records too (alerts, post-handshake messages).
                await FlushTransportAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCompleted || status == TlsStatus.Closed) break;
                if (status == TlsStatus.Failed) throw new IOException(LastError ?? "TLS failed");
                if (!await ReceiveAsync(cancellationToken).ConfigureAwait(false)) break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = e;
        }
        catch (OperationCanceledException)
        {
        }

        await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            PipeReader plaintext = _output.Reader;
            while (true)
            {
                ReadResult result = await plaintext.ReadAsync(cancellationToken).ConfigureAwait(false);
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    TlsStatus status;
                    lock (_tlsLock) status = _tls.Write(segment.Span);
                    if (status != TlsStatus.Ok) throw new IOException(LastError ?? "TLS write failed");
                }

                plaintext.AdvanceTo(result.Buffer.End);
                await FlushTransportAsync(cancellationToken).ConfigureAwait(false);
                if (result.IsCompleted) break;
            }

            lock (_tlsLock) _tls.Shutdown();
            await FlushTransportAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = e;
        }
        catch (OperationCanceledException)
        {
        }

        await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
        await _sendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _transportClosed = true;
            await _transport.Output.CompleteAsync(error).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
