using System.Text.RegularExpressions;
using AgentSandbox.Sdk.TestSupport;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>One catalogue of codes (Errors/Diagnostics.cs), in order, and README's table of the same codes.</summary>
public sealed class ErrorCatalogueTests
{
    private static readonly string Catalogue = Repository.File("src/AgentSandbox.Sdk/Errors/Diagnostics.cs");

    private static IReadOnlyList<string> CatalogueCodes() =>
        Readme.Code().Matches(File.ReadAllText(Catalogue)).Select(match => match.Value).ToList();

    [Fact]
    public void Catalogue_is_ordered_by_code()
    {
        var codes = CatalogueCodes();

        Assert.Equal(codes.Order(StringComparer.Ordinal), codes);
    }

    [Fact]
    public void README_table_lists_each_code_of_the_catalogue_once_in_the_same_order()
    {
        Assert.Equal(CatalogueCodes().Distinct(), Readme.ErrorCodes());
    }

    [Fact]
    public void No_other_source_or_targets_file_has_a_code_of_its_own()
    {
        var catalogue = CatalogueCodes().ToHashSet();
        var sources = Directory.EnumerateFiles(Repository.File("src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFiles(Repository.File("build"), "*.*", SearchOption.AllDirectories));

        var strays = sources.SelectMany(path => Readme.Code().Matches(File.ReadAllText(path)).Select(match => (path, code: match.Value)))
            .Where(use => !catalogue.Contains(use.code))
            .Select(use => $"{Path.GetRelativePath(Repository.Root, use.path)}: {use.code}")
            .ToList();

        Assert.Empty(strays);
    }

    [Fact]
    public void The_targets_raise_no_error_of_their_own()
    {
        var targets = File.ReadAllText(Repository.File("build/AgentSandbox.Sdk.targets"));

        Assert.DoesNotMatch(new Regex(@"<(Error|Warning)\b"), targets);
    }
}
