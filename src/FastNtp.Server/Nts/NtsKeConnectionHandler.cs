using System.Buffers;
using System.Net;
using FastNtp.Interop.OpenSsl;
using FastNtp.Protocol.Nts;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace FastNtp.Server.Nts;

/// <summary>
/// One NTS-KE connection on Kestrel: the admission hook, the TLS handshake under its deadline, then one
/// <see cref="NtsKeServerSession"/> fed from the TLS pipe under the request deadline, its response, close_notify.
/// Every way a connection ends is counted once.
/// </summary>
internal sealed partial class NtsKeConnectionHandler(NtsKeServer server) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        server.MemoryRelease.Connected();
        NtsKeServerCounters counters = server.LiveCounters;
        NtsKeServerSettings settings = server.Settings;
        if (connection.RemoteEndPoint is not IPEndPoint remote) return;
        if (settings.Admit is { } admit && !admit(remote.Address))
        {
            counters.Refused();
            return;
        }

        NtsKeRefusal refusal = server.Admission.TryAdmit(remote.Address);
        if (refusal != NtsKeRefusal.None)
        {
            server.OverLimit(refusal, remote.Address);
            return;
        }

        try
        {
            await ServeAsync(connection, counters, settings).ConfigureAwait(false);
        }
        finally
        {
            server.Admission.Release(remote.Address);
        }
    }

    private async Task ServeAsync(ConnectionContext connection, NtsKeServerCounters counters, NtsKeServerSettings settings)
    {
        counters.ConnectionOpened();
        var session = new NtsKeServerSession(server.Policy);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, server.Stopping);
        bool handshakeDone = false;
        try
        {
            deadline.CancelAfter(settings.Limits.HandshakeTimeout);
            await using var tls = new TlsDuplexPipe(server.Context.Accept(), connection.Transport);
            NtsKeHandshakeResult handshake = await NtsKeTransport.HandshakeAsync(tls, deadline.Token).ConfigureAwait(false);
            handshakeDone = true;
            counters.Handshake(handshake);
            if (handshake != NtsKeHandshakeResult.Ok)
            {
                LogHandshakeFailed(server.Logger, handshake, tls.LastError);
                return;
            }

            deadline.CancelAfter(settings.Limits.RequestTimeout);
            await ExchangeAsync(session, tls, counters, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!server.Stopping.IsCancellationRequested && !connection.ConnectionClosed.IsCancellationRequested)
        {
            if (!handshakeDone) counters.HandshakeTimedOut();
            else if (session.Outcome == NtsKeServerOutcome.Pending) counters.Exchange(session.TimedOut());
            // The answer was ready but the client did not take it in time.
            else counters.ConnectionError();
        }
        catch (Exception e) when (e is IOException or OpenSslException or OperationCanceledException or ObjectDisposedException)
        {
            // The client reset or broke TLS, or the server is stopping. A client that hangs up once it has its
            // answer (before our close_notify) is no error: its exchange is already counted.
            if (!handshakeDone) counters.Handshake(NtsKeHandshakeResult.TlsFailed);
            else if (session.Outcome == NtsKeServerOutcome.Pending) counters.ConnectionError();
            LogConnectionFailed(server.Logger, e.Message);
        }
        catch (Exception e)
        {
            // A bug (e.g. a crypto failure while sealing cookies): count and log it; Kestrel closes the connection.
            counters.Fault();
            LogConnectionFault(server.Logger, e);
        }
        finally
        {
            counters.ConnectionClosed();
        }
    }

    /// <summary>
    /// Reads the request into the session, counts its outcome, sends the answer and closes TLS. The outcome is
    /// counted before sending: a client that hangs up once it has its answer must not turn it into an error.
    /// Timeouts surface as cancellation.
    /// </summary>
    private async Task ExchangeAsync(NtsKeServerSession session, TlsDuplexPipe tls, NtsKeServerCounters counters, CancellationToken token)
    {
        NtsKeServerPolicy policy = server.Policy;
        var exporter = new TlsKeyExporter(tls);
        NtsCookieCodec codec = server.Codecs.Get();
        byte[] response = ArrayPool<byte>.Shared.Rent(policy.MaxResponseLength);
        try
        {
            NtsKeServerStep step = default;
            bool final = await NtsKeTransport.ReadMessageAsync(tls.Input, policy.MaxRequestLength, received =>
            {
                step = session.Receive(received, exporter, codec, response);
                return step.IsFinal;
            }, token).ConfigureAwait(false);
            if (!final) step = session.EndOfStream();
            counters.Exchange(step);

            if (step.ResponseLength > 0) await tls.Output.WriteAsync(response.AsMemory(0, step.ResponseLength), token).ConfigureAwait(false);
            await tls.CloseAsync(token).ConfigureAwait(false);
        }
        finally
        {
            server.Codecs.Return(codec);
            Array.Clear(response);
            ArrayPool<byte>.Shared.Return(response);
        }
    }

    [LoggerMessage(EventId = 2021, Level = LogLevel.Debug, Message = "NTS-KE handshake failed ({Result}): {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, NtsKeHandshakeResult result, string? reason);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Debug, Message = "NTS-KE connection failed: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Error, Message = "NTS-KE connection failed unexpectedly")]
    private static partial void LogConnectionFault(ILogger logger, Exception exception);
}
