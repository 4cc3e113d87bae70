using FastNtp.Protocol.Leap;

namespace FastNtp.Protocol.Tests.Server;

public class ResponderLeapSmearTests
{
    // Six hours into a 24 h smear of the inserted second at 1 January 2027.
    private static readonly NtpTimestamp Leap = NtpTimestamp.FromParts(4_007_750_400, 0);
    private static readonly LeapSmear Smear = new(Leap, 1, NtpDuration.FromSeconds(86_400), false);
    private static readonly NtpTimestamp ReceiveTime = Leap - NtpDuration.FromSeconds(6 * 3600);
    private static readonly NtpTimestamp ReferenceTime = ReceiveTime - NtpDuration.FromSeconds(64);

    private static readonly ServerSnapshot Smeared = ServerSnapshot.LocalClock(2, -20, ReferenceTime) with
    {
        Smear = Smear,
        InLeapWindow = true,
        TaiOffset = 37,
    };

    private static byte[] Request()
    {
        byte[] request = new byte[NtpHeader.Length];
        new NtpHeader { Version = 4, Mode = NtpMode.Client, TransmitTime = NtpTimestamp.FromParts(7, 7) }.Write(request);
        return request;
    }

    [Fact]
    public void Reply_CarriesSmearedReceiveTransmitAndReferenceTimes()
    {
        byte[] response = new byte[NtpHeader.Length];
        var clock = new FakeClock(ReceiveTime);

        ResponderResult result = new Responder().Handle(Request(), new RequestInfo(ReceiveTime, 40000), Smeared, response, ref clock);

        Assert.True(result.ShouldRespond);
        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        // A quarter of the window in: served time is a quarter second behind UTC.
        Assert.Equal(Smear.Serve(ReceiveTime), reply.ReceiveTime);
        Assert.InRange((ReceiveTime - reply.ReceiveTime).TotalSeconds, 0.2499, 0.2501);
        Assert.Equal(Smear.Serve(clock.ValueOfRead(1)), reply.TransmitTime);
        Assert.Equal(Smear.Serve(ReferenceTime), reply.ReferenceTime);
        Assert.Equal(NtpTimestamp.FromParts(7, 7), reply.OriginTime);
    }

    [Fact]
    public void Reply_AnnouncesNoLeapWhileSmearingAndKeepsTheDispersion()
    {
        byte[] response = new byte[NtpHeader.Length];
        var clock = new FakeClock(ReceiveTime);
        // Upstream announces the leap; the file's smear says nothing of it.
        ServerSnapshot upstream = ServerSnapshot.LocalClock(2, -20, ReferenceTime) with { Leap = LeapIndicator.InsertSecond };
        var announcement = new LeapAnnouncement
        {
            TaiOffset = 37,
            Scheduled = LeapIndicator.NoWarning,
            Announced = LeapIndicator.NoWarning,
            Smear = Smear,
            InLeapWindow = true,
        };

        new Responder().Handle(Request(), new RequestInfo(ReceiveTime, 40000), announcement.ApplyTo(upstream), response, ref clock);

        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(LeapIndicator.NoWarning, reply.Leap);
        Assert.Equal(upstream.RootDispersionAt(ReceiveTime), reply.RootDispersion);
    }

    [Fact]
    public void Reply_OutsideAnySmearIsTheSystemTime()
    {
        byte[] response = new byte[NtpHeader.Length];
        var clock = new FakeClock(ReceiveTime);

        new Responder().Handle(Request(), new RequestInfo(ReceiveTime, 40000), Smeared with { Smear = null }, response, ref clock);

        Assert.True(NtpHeader.TryRead(response, out NtpHeader reply));
        Assert.Equal(ReceiveTime, reply.ReceiveTime);
        Assert.Equal(clock.ValueOfRead(1), reply.TransmitTime);
    }

    [Fact]
    public void SmearedReplies_AllocateNothing()
    {
        var responder = new Responder();
        byte[] request = Request(), response = new byte[NtpHeader.Length];
        var clock = new FakeClock(ReceiveTime);
        var info = new RequestInfo(ReceiveTime, 40000);
        responder.Handle(request, info, Smeared, response, ref clock);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int answered = 0;
        for (int i = 0; i < 1_000; i++)
        {
            if (responder.Handle(request, info, Smeared, response, ref clock).ShouldRespond) answered++;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_000, answered);
    }
}
