using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FastNtp.Server.Xdp;

namespace FastNtp.Server.Tests.Xdp;

/// <summary>
/// The C# mirrors of Bpf/fastntp_xdp.h against the compiled object's BTF, as bpftool reads it: every struct's
/// size and every member's offset, so a change on one side alone fails here rather than in the kernel.
/// </summary>
public sealed partial class XdpLayoutTests
{
    private static readonly Dictionary<string, Type> Structs = new()
    {
        ["fastntp_endpoint"] = typeof(XdpEndpoint),
        ["fastntp_config"] = typeof(XdpConfig),
        ["fastntp_policy"] = typeof(XdpPolicyConfig),
        ["fastntp_prefix_v4"] = typeof(XdpPrefixV4),
        ["fastntp_prefix_v6"] = typeof(XdpPrefixV6),
        ["fastntp_slot"] = typeof(XdpSlot),
        ["fastntp_state"] = typeof(XdpState),
        ["fastntp_counters"] = typeof(XdpCounters),
    };

    /// <summary>C member names to C# field names where the C# name says more (units, byte order) or is private.</summary>
    private static readonly Dictionary<string, string> Renamed = new()
    {
        ["port"] = nameof(XdpEndpoint.PortNetworkOrder),
        ["stale_after_ns"] = nameof(XdpConfig.StaleAfterNanoseconds),
        ["heartbeat_tai_ns"] = nameof(XdpState.HeartbeatTaiNanoseconds),
        ["tai_offset_ns"] = nameof(XdpState.TaiOffsetNanoseconds),
        ["interval_ns"] = nameof(XdpPolicyConfig.IntervalNanoseconds),
        ["burst_tolerance_ns"] = nameof(XdpPolicyConfig.BurstToleranceNanoseconds),
    };

    [Fact]
    public void EveryStructAndMember_MatchesTheCompiledProgram()
    {
        Dictionary<string, (int Size, List<(string Name, int Offset)> Members)> btf = ReadBtf();
        foreach ((string cName, Type type) in Structs)
        {
            Assert.True(btf.TryGetValue(cName, out (int Size, List<(string Name, int Offset)> Members) layout), $"struct {cName} is not in the object's BTF");
            Assert.NotEmpty(layout.Members);
            Assert.True(layout.Size == Marshal.SizeOf(type), $"struct {cName} is {layout.Size} octets, {type.Name} {Marshal.SizeOf(type)}");
            foreach ((string member, int offset) in layout.Members)
            {
                string field = FieldName(type, member);
                Assert.True(offset == (int)Marshal.OffsetOf(type, field), $"{cName}.{member} at {offset}, {type.Name}.{field} at {Marshal.OffsetOf(type, field)}");
            }
        }
    }

    [Fact]
    public void DropCounters_HaveASlotForEveryReason() =>
        Assert.True(DropReasons.Count <= XdpCounters.DropReasonSlots, $"{DropReasons.Count} reasons, {XdpCounters.DropReasonSlots} slots");

    [Fact]
    public void InlineArrays_HaveTheLengthsOfTheHeader()
    {
        Assert.Equal(16, Unsafe.SizeOf<XdpAddress>());
        Assert.Equal(XdpConfig.MaxEndpoints * Unsafe.SizeOf<XdpEndpoint>(), Unsafe.SizeOf<XdpEndpoints>());
        Assert.Equal(2 * Unsafe.SizeOf<XdpSlot>(), Unsafe.SizeOf<XdpSlots>());
        Assert.Equal(4, Unsafe.SizeOf<XdpIpv4Address>());
        Assert.Equal(PolicyDecisions.CounterCount * sizeof(ulong), Unsafe.SizeOf<XdpRefusedCounters>());
    }

    private static string FieldName(Type type, string member)
    {
        if (Renamed.TryGetValue(member, out string? renamed)) return renamed;
        string pascal = string.Concat(member.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        if (type.GetField(pascal) is not null) return pascal;
        // Reserved members are private in C#: _reserved, or _reserved0 for the first of several octets.
        return type.GetField("_" + member, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance) is not null
            ? "_" + member
            : "_" + member + "0";
    }

    private static Dictionary<string, (int, List<(string, int)>)> ReadBtf()
    {
        byte[] elf = XdpProgram.CompiledObject()
            ?? throw new InvalidOperationException("FastNtp.Server was built without its XDP program: install clang and libbpf-dev and rebuild.");
        string path = Path.Combine(Path.GetTempPath(), $"fastntp-xdp-{Environment.ProcessId}.o");
        File.WriteAllBytes(path, elf);
        try
        {
            var start = new ProcessStartInfo("bpftool", ["btf", "dump", "file", path, "format", "raw"]) { RedirectStandardOutput = true };
            using Process bpftool = Process.Start(start) ?? throw new InvalidOperationException("bpftool did not start (apt-get install bpftool)");
            string dump = bpftool.StandardOutput.ReadToEnd();
            bpftool.WaitForExit();
            Assert.True(bpftool.ExitCode == 0, "bpftool btf dump failed");

            var structs = new Dictionary<string, (int, List<(string, int)>)>();
            List<(string, int)>? members = null;
            foreach (string line in dump.Split('\n'))
            {
                Match s = StructLine().Match(line);
                if (s.Success)
                {
                    members = [];
                    structs[s.Groups[1].Value] = (int.Parse(s.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), members);
                    continue;
                }

                Match m = MemberLine().Match(line);
                if (m.Success && members is not null)
                    members.Add((m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) / 8));
                else if (!line.StartsWith('\t')) members = null;
            }

            return structs;
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"^\[\d+\] STRUCT '(fastntp_\w+)' size=(\d+)")]
    private static partial Regex StructLine();

    [GeneratedRegex(@"^\t'(\w+)' type_id=\d+ bits_offset=(\d+)")]
    private static partial Regex MemberLine();
}
