namespace FastNtp.Interop.OpenSsl;

/// <summary>Constants from openssl/ssl.h and tls1.h that the binding uses.</summary>
internal static class SslConstants
{
    internal const int Tls13Version = 0x0304;
    internal const int CtrlSetMinProtoVersion = 123;
    internal const int CtrlSetMaxProtoVersion = 124;
    internal const int CtrlSetTlsextHostname = 55;
    internal const int TlsextNameTypeHostName = 0;
    internal const int FiletypePem = 1;
    internal const int VerifyPeer = 1;
    internal const int TlsextErrOk = 0;
    internal const int TlsextErrAlertFatal = 2;
    internal const int ErrorWantRead = 2;
    internal const int ErrorWantWrite = 3;
    internal const int ErrorZeroReturn = 6;
    internal const long X509VerifyOk = 0;
}
