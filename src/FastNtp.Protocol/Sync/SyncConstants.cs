namespace FastNtp.Protocol.Sync;

/// <summary>The RFC 5905 system constants the synchronizer works with, in seconds where they are times.</summary>
public static class SyncConstants
{
    /// <summary>PHI: the frequency tolerance by which every dispersion grows, 15 ppm.</summary>
    public const double Phi = 15e-6;
    /// <summary>MAXDISP: the dispersion of an empty filter stage, and the ceiling of any dispersion.</summary>
    public const double MaxDispersion = 16.0;
    /// <summary>MINDISP: the floor of a root distance, so one near source cannot dominate the weights.</summary>
    public const double MinDispersion = 0.005;
    /// <summary>MAXDIST: a source whose root distance exceeds this (plus PHI times its poll) is not fit.</summary>
    public const double MaxDistance = 1.5;
    /// <summary>NMIN: clustering never prunes the survivors below this many.</summary>
    public const int MinCluster = 3;
    /// <summary>NSTAGE: samples in the clock filter's shift register.</summary>
    public const int FilterStages = 8;
    /// <summary>Stratum 16 is unsynchronized; a source at 15 would make us 16.</summary>
    public const byte MaxStratum = 16;
    /// <summary>The largest poll exponent RFC 5905 allows (36 h).</summary>
    public const int MaxPollLimit = 17;
}
