namespace FastNtp.Server.Timestamping;

/// <summary>
/// What a packet worker asks to turn a hardware stamp (SCM_TIMESTAMPING's ts[2], in the PHC's time) into system
/// time: the line of the PHC behind the interface the packet used. Lock-free: each PHC's line is an immutable
/// <see cref="PhcConversion"/> swapped by reference; no line, no conversion, and the packet keeps its software stamp.
/// </summary>
public sealed class HardwareClocks
{
    private readonly int[] _interfaceIndexes;
    private readonly int[] _clockOfInterface;
    private readonly PhcConversion?[] _conversions;

    /// <param name="interfaceClocks">Each hardware-stamping interface's index and the slot (0 to clockCount − 1) of its PHC; interfaces may share one.</param>
    public HardwareClocks(IReadOnlyList<(int InterfaceIndex, int Clock)> interfaceClocks, int clockCount)
    {
        ArgumentNullException.ThrowIfNull(interfaceClocks);
        _interfaceIndexes = new int[interfaceClocks.Count];
        _clockOfInterface = new int[interfaceClocks.Count];
        for (int i = 0; i < interfaceClocks.Count; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(interfaceClocks[i].Clock);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(interfaceClocks[i].Clock, clockCount);
            (_interfaceIndexes[i], _clockOfInterface[i]) = interfaceClocks[i];
        }

        _conversions = new PhcConversion?[clockCount];
    }

    /// <summary>No interface stamps in hardware.</summary>
    public static HardwareClocks None { get; } = new([], 0);

    /// <summary>Whether any interface was set up for hardware stamps (sockets then ask for them).</summary>
    public bool Any => _interfaceIndexes.Length > 0;

    /// <summary>
    /// The system time of <paramref name="phcNanoseconds"/>, stamped by the NIC of <paramref name="interfaceIndex"/>;
    /// false when that interface is not one of ours or its PHC has no current line.
    /// </summary>
    public bool TryToSystem(int interfaceIndex, long phcNanoseconds, out long systemNanoseconds)
    {
        int[] indexes = _interfaceIndexes;
        for (int i = 0; i < indexes.Length; i++)
        {
            if (indexes[i] != interfaceIndex) continue;
            PhcConversion? line = Volatile.Read(ref _conversions[_clockOfInterface[i]]);
            if (line is not null) return line.TryToSystem(phcNanoseconds, out systemNanoseconds);
            break;
        }

        systemNanoseconds = 0;
        return false;
    }

    /// <summary>The current line of PHC slot <paramref name="clock"/>, null when there is none.</summary>
    public PhcConversion? Conversion(int clock) => Volatile.Read(ref _conversions[clock]);

    internal void Publish(int clock, PhcConversion? conversion) => Volatile.Write(ref _conversions[clock], conversion);
}
