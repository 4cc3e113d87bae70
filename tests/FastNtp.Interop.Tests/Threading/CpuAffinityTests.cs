using FastNtp.Interop.Threading;

namespace FastNtp.Interop.Tests.Threading;

public class CpuAffinityTests
{
    [Fact]
    public void Thread_CanBePinnedToEachAllowedCpuAndTheMaskReflectsIt()
    {
        int[] allowed = CpuAffinity.GetAllowedCpus();
        Assert.NotEmpty(allowed);
        int[]? seen = null;
        Exception? failure = null;
        // A throwaway thread, so the test runner's threads keep their affinity.
        var thread = new Thread(() =>
        {
            try
            {
                Assert.True(CpuAffinity.TryPinCurrentThread(allowed[^1], out Errno error), error.ToString());
                seen = CpuAffinity.GetAllowedCpus();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        Assert.Null(failure);
        Assert.Equal([allowed[^1]], seen!);
    }

    [Fact]
    public void PinningToACpuThatDoesNotExist_FailsWithEinval()
    {
        var thread = new Thread(() =>
        {
            Assert.False(CpuAffinity.TryPinCurrentThread(1023, out Errno error));
            Assert.Equal(Errno.EINVAL, error);
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
    }
}
