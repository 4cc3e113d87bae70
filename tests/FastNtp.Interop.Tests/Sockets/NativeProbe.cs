using System.Globalization;
using FastNtp.Tests.Shared;

namespace FastNtp.Interop.Tests.Sockets;

/// <summary>Builds and runs a small C program that prints the kernel ABI facts the interop layer relies on.</summary>
internal static class NativeProbe
{
    private static readonly string[] Facts =
    [
        "sizeof(struct iovec)", "sizeof(struct msghdr)", "sizeof(struct mmsghdr)", "sizeof(struct cmsghdr)",
        "sizeof(struct sockaddr_in)", "sizeof(struct sockaddr_in6)", "sizeof(struct in_pktinfo)",
        "sizeof(struct in6_pktinfo)", "sizeof(struct timespec)", "sizeof(struct timeval)",
        "offsetof(struct iovec, iov_len)", "offsetof(struct msghdr, msg_namelen)", "offsetof(struct msghdr, msg_iov)",
        "offsetof(struct msghdr, msg_iovlen)", "offsetof(struct msghdr, msg_control)",
        "offsetof(struct msghdr, msg_controllen)", "offsetof(struct msghdr, msg_flags)",
        "offsetof(struct mmsghdr, msg_len)", "offsetof(struct cmsghdr, cmsg_level)", "offsetof(struct cmsghdr, cmsg_type)",
        "offsetof(struct sockaddr_in, sin_port)", "offsetof(struct sockaddr_in, sin_addr)",
        "offsetof(struct sockaddr_in6, sin6_port)", "offsetof(struct sockaddr_in6, sin6_flowinfo)",
        "offsetof(struct sockaddr_in6, sin6_addr)", "offsetof(struct sockaddr_in6, sin6_scope_id)",
        "offsetof(struct in_pktinfo, ipi_spec_dst)", "offsetof(struct in_pktinfo, ipi_addr)",
        "offsetof(struct in6_pktinfo, ipi6_ifindex)", "offsetof(struct timespec, tv_nsec)",
        "CMSG_SPACE(sizeof(struct timespec))", "CMSG_SPACE(sizeof(struct in6_pktinfo))", "CMSG_LEN(sizeof(struct in_pktinfo))",
        "AF_INET", "AF_INET6", "SOCK_DGRAM", "SOCK_CLOEXEC", "IPPROTO_UDP", "SOL_SOCKET", "SOL_IP",
        "SOL_IPV6", "SO_REUSEPORT", "SO_SNDBUF", "SO_RCVBUF", "SO_SNDBUFFORCE", "SO_RCVBUFFORCE",
        "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_TIMESTAMPNS", "SCM_TIMESTAMPNS", "IP_PKTINFO", "IPV6_V6ONLY",
        "IPV6_RECVPKTINFO", "IPV6_PKTINFO", "MSG_TRUNC", "MSG_DONTWAIT", "MSG_WAITFORONE", "SHUT_RD",
        "CLOCK_REALTIME", "sizeof(cpu_set_t)", "EAGAIN", "EINTR", "ENOBUFS", "ECONNREFUSED", "EMSGSIZE", "ENOTCONN",
        "EHOSTUNREACH", "ENETUNREACH", "EADDRINUSE", "EPERM",
    ];

    public static Dictionary<string, long> Run()
    {
        // gcc checks the struct layouts against this machine's kernel headers; without it the test fails, naming the package.
        string gcc = ExternalProcess.RequireProgram("gcc", "gcc");
        string dir = Directory.CreateTempSubdirectory("fastntp-abi-").FullName;
        try
        {
            string source = Path.Combine(dir, "probe.c");
            string binary = Path.Combine(dir, "probe");
            File.WriteAllText(source, Program());
            ExternalProcess.RunChecked(gcc, ["-O0", "-o", binary, source], TimeSpan.FromSeconds(60));
            string output = ExternalProcess.RunChecked(binary, [], TimeSpan.FromSeconds(60));

            var facts = new Dictionary<string, long>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = line.LastIndexOf('=');
                facts[line[..eq]] = long.Parse(line[(eq + 1)..], CultureInfo.InvariantCulture);
            }

            return facts;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Program()
    {
        var body = new System.Text.StringBuilder();
        body.AppendLine("#define _GNU_SOURCE");
        body.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include <errno.h>\n#include <time.h>\n#include <sched.h>");
        body.AppendLine("#include <sys/time.h>\n#include <sys/socket.h>\n#include <netinet/in.h>");
        body.AppendLine("static struct cmsghdr probe_cmsg;");
        body.AppendLine("int main(void) {");
        foreach (string fact in Facts)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"%s=%ld\\n\", \"{fact}\", (long)({fact}));");
        }

        body.AppendLine("  printf(\"%s=%ld\\n\", \"CMSG_DATA offset\", (long)((unsigned char*)CMSG_DATA(&probe_cmsg) - (unsigned char*)&probe_cmsg));");
        body.AppendLine("  return 0;\n}");
        return body.ToString();
    }
}
