using System.Reflection;
using System.Text.RegularExpressions;

namespace FastNtp.Tests.Shared;

/// <summary>
/// Holds every test method of the assembly this file is compiled into (every test project, through
/// Directory.Build.props) to the one naming style of tests/README.md: Subject_Behaviour.
/// </summary>
public sealed partial class TestNameTests
{
    private const BindingFlags DeclaredMethods = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void EveryTestMethod_IsNamedSubjectUnderscoreBehaviour()
    {
        // TheoryAttribute and FsCheck's PropertyAttribute derive from FactAttribute.
        var offenders = typeof(TestNameTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(DeclaredMethods))
            .Where(method => method.IsDefined(typeof(FactAttribute), inherit: true) && !FollowsTheStyle(method.Name))
            .Select(method => $"{method.DeclaringType!.FullName}.{method.Name}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(offenders.Count == 0,
            "Test methods not named Subject_Behaviour (see tests/README.md):\n" + string.Join('\n', offenders));
    }

    [Theory]
    [InlineData("RootDispersion_GrowsBy15PpmOfTheAge", true)]
    [InlineData("Ipv4Fragments_AreRefused", true)]
    [InlineData("Query_RejectsAReplyThatIsNotMode4", true)]
    [InlineData("NtpdigAcceptsFastNtpOnPort123", false)]
    [InlineData("The_kernel_sends_each_source_address_to_one_socket", false)]
    [InlineData("Json_RoundTrips_ModePidAndCpuFigures", false)]
    [InlineData("json_RoundTrips", false)]
    [InlineData("Json_roundTrips", false)]
    [InlineData("Json_", false)]
    [InlineData("_RoundTrips", false)]
    public void NameRule_AcceptsOnlyOnePascalCaseSubjectAndBehaviour(string name, bool accepted) =>
        Assert.Equal(accepted, FollowsTheStyle(name));

    private static bool FollowsTheStyle(string name) => SubjectUnderscoreBehaviour().IsMatch(name);

    [GeneratedRegex("^[A-Z][A-Za-z0-9]*_[A-Z][A-Za-z0-9]*$")]
    private static partial Regex SubjectUnderscoreBehaviour();
}
