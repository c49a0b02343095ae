using AgentSandbox.Verification;

namespace AgentSandbox.Sdk.Tests;

/// <summary>MSBuild's canonical error format, as `dotnet build` prints it inside the sandbox, read back into diagnostics.</summary>
public sealed class BuildOutputParserTests
{
    private const string Root = SandboxBuild.BuildDirectory;

    private static BuildDiagnostic Parse(string line) => Assert.IsType<BuildDiagnostic>(BuildOutputParser.Parse(line, Root));

    [Fact]
    public void Compiler_error_has_a_relative_file_line_column_code_and_message_without_the_project_suffix()
    {
        var diagnostic = Parse("/tmp/agentsandbox-build/Program.cs(1,23): error CS1002: ; expected [/tmp/agentsandbox-build/App.csproj]");

        Assert.Equal(new BuildDiagnostic(true, "Program.cs", 1, 23, "CS1002", "; expected"), diagnostic);
    }

    [Theory]
    [InlineData(
        "/tmp/agentsandbox-build/Models/Person.cs(5,19): warning CS8618: Non-nullable property 'Name' must contain a non-null value when exiting constructor. Consider adding the 'required' modifier or declaring the property as nullable. [/tmp/agentsandbox-build/App.csproj]",
        "Models/Person.cs", 5, 19, "CS8618",
        "Non-nullable property 'Name' must contain a non-null value when exiting constructor. Consider adding the 'required' modifier or declaring the property as nullable.")]
    [InlineData(
        "/tmp/agentsandbox-build/App.csproj : warning NU1603: App depends on Foo (>= 1.0.0) but Foo 1.0.0 was not found. Foo 1.0.1 was resolved instead. [/tmp/agentsandbox-build/App.csproj]",
        "App.csproj", 0, 0, "NU1603",
        "App depends on Foo (>= 1.0.0) but Foo 1.0.0 was not found. Foo 1.0.1 was resolved instead.")]
    public void Warnings_keep_their_code_and_are_not_errors(string line, string file, int lineNumber, int column, string code, string message)
    {
        Assert.Equal(new BuildDiagnostic(false, file, lineNumber, column, code, message), Parse(line));
    }

    [Fact]
    public void Restore_error_on_the_project_file_has_no_position()
    {
        var diagnostic = Parse("/tmp/agentsandbox-build/App.csproj : error NU1101: Unable to find package Foo. No packages exist with this id in source(s): nuget.org [/tmp/agentsandbox-build/App.csproj]");

        Assert.Equal(new BuildDiagnostic(true, "App.csproj", 0, 0, "NU1101", "Unable to find package Foo. No packages exist with this id in source(s): nuget.org"), diagnostic);
    }

    [Theory]
    [InlineData("MSBUILD : error MSB1009: Project file does not exist.", "MSB1009", "Project file does not exist.")]
    [InlineData("CSC : error CS2001: Source file '/tmp/agentsandbox-build/Gone.cs' could not be found.", "CS2001", "Source file '/tmp/agentsandbox-build/Gone.cs' could not be found.")]
    public void Tool_diagnostics_have_no_file(string line, string code, string message)
    {
        Assert.Equal(new BuildDiagnostic(true, null, 0, 0, code, message), Parse(line));
    }

    [Fact]
    public void Range_with_end_line_and_end_column_keeps_the_start()
    {
        var diagnostic = Parse("/tmp/agentsandbox-build/Program.cs(3,5,3,12): error CS0103: The name 'x' does not exist in the current context [/tmp/agentsandbox-build/App.csproj]");

        Assert.Equal(("Program.cs", 3, 5), (diagnostic.File, diagnostic.Line, diagnostic.Column));
    }

    [Fact]
    public void Line_without_a_column_has_column_zero()
    {
        var diagnostic = Parse("/tmp/agentsandbox-build/App.csproj(12): error MSB4025: The project file could not be loaded.");

        Assert.Equal(("App.csproj", 12, 0), (diagnostic.File, diagnostic.Line, diagnostic.Column));
    }

    [Theory]
    [InlineData("/tmp/agentsandbox-build")]
    [InlineData("/tmp/agentsandbox-build/")]
    public void File_in_a_subdirectory_is_relative_to_the_root_with_or_without_a_trailing_slash(string root)
    {
        var diagnostic = BuildOutputParser.Parse("/tmp/agentsandbox-build/src/Lib/A.cs(10,5): warning CS0168: The variable 'e' is declared but never used [/tmp/agentsandbox-build/src/Lib/Lib.csproj]", root);

        Assert.Equal("src/Lib/A.cs", diagnostic?.File);
    }

    [Fact]
    public void File_outside_the_build_root_is_kept_as_given()
    {
        var diagnostic = Parse("/usr/share/dotnet/sdk/10.0.100/Microsoft.Common.CurrentVersion.targets(2413,5): warning MSB3277: Found conflicts between different versions of \"System.Text.Json\". [/tmp/agentsandbox-build/App.csproj]");

        Assert.Equal("/usr/share/dotnet/sdk/10.0.100/Microsoft.Common.CurrentVersion.targets", diagnostic.File);
        Assert.Equal("MSB3277", diagnostic.Code);
    }

    [Fact]
    public void Path_that_only_starts_like_the_root_is_not_made_relative()
    {
        Assert.Equal("/tmp/agentsandbox-build2/A.cs", Parse("/tmp/agentsandbox-build2/A.cs(1,1): error CS1: x").File);
    }

    [Fact]
    public void Message_keeps_its_colons_brackets_and_parentheses()
    {
        var diagnostic = Parse("/tmp/agentsandbox-build/Program.cs(7,13): error CS0029: Cannot implicitly convert type 'int[]' to 'string': see [docs] (really) [/tmp/agentsandbox-build/App.csproj]");

        Assert.Equal("Cannot implicitly convert type 'int[]' to 'string': see [docs] (really)", diagnostic.Message);
        Assert.Equal("CS0029", diagnostic.Code);
    }

    [Fact]
    public void Diagnostic_without_a_code_has_a_null_code()
    {
        var diagnostic = Parse("/tmp/agentsandbox-build/Program.cs(2,1): error : something went wrong");

        Assert.Null(diagnostic.Code);
        Assert.Equal("something went wrong", diagnostic.Message);
    }

    [Fact]
    public void Indented_line_is_parsed()
    {
        Assert.Equal("Program.cs", Parse("    /tmp/agentsandbox-build/Program.cs(1,1): error CS1002: ; expected [/tmp/agentsandbox-build/App.csproj]").File);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Build succeeded.")]
    [InlineData("Build FAILED.")]
    [InlineData("  Determining projects to restore...")]
    [InlineData("  Restored /tmp/agentsandbox-build/App.csproj (in 512 ms).")]
    [InlineData("  App -> /tmp/agentsandbox-build/bin/Debug/net8.0/App.dll")]
    [InlineData("    0 Warning(s)")]
    [InlineData("0 Warning(s)")]
    [InlineData("    1 Error(s)")]
    [InlineData("Time Elapsed 00:00:03.21")]
    [InlineData("  Error Message:")]
    [InlineData("   Assert.Equal() Failure: Values differ")]
    [InlineData("Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: 45 ms - App.Tests.dll (net8.0)")]
    [InlineData("warning: something")]
    public void Other_output_lines_are_not_diagnostics(string line)
    {
        Assert.Null(BuildOutputParser.Parse(line, Root));
    }

    [Fact]
    public void ParseAll_keeps_each_distinct_diagnostic_once_in_order()
    {
        const string error = "/tmp/agentsandbox-build/Program.cs(1,23): error CS1002: ; expected [/tmp/agentsandbox-build/App.csproj]";
        const string warning = "/tmp/agentsandbox-build/Program.cs(4,9): warning CS0168: The variable 'e' is declared but never used [/tmp/agentsandbox-build/App.csproj]";
        string[] output =
        [
            "  Determining projects to restore...",
            warning,
            error,
            "",
            "Build FAILED.",
            "",
            warning,
            error,
            // The same diagnostic reached through another project of the build is still one problem.
            "/tmp/agentsandbox-build/Program.cs(1,23): error CS1002: ; expected [/tmp/agentsandbox-build/Other.csproj]",
            "    1 Warning(s)",
            "    1 Error(s)",
        ];

        var diagnostics = BuildOutputParser.ParseAll(output, Root);

        Assert.Equal(
            [new BuildDiagnostic(false, "Program.cs", 4, 9, "CS0168", "The variable 'e' is declared but never used"), new BuildDiagnostic(true, "Program.cs", 1, 23, "CS1002", "; expected")],
            diagnostics);
    }

    [Fact]
    public void ParseAll_of_clean_output_is_empty()
    {
        Assert.Empty(BuildOutputParser.ParseAll(["Build succeeded.", "    0 Warning(s)", "    0 Error(s)"], Root));
    }

    [Theory]
    [InlineData(true, "Program.cs", 3, 5, "CS1002", "; expected", "Program.cs(3,5): error CS1002: ; expected")]
    [InlineData(false, "src/A.cs", 10, 0, "CS0168", "unused", "src/A.cs(10,1): warning CS0168: unused")]
    [InlineData(true, "App.csproj", 0, 0, "NU1101", "Unable to find package Foo.", "App.csproj: error NU1101: Unable to find package Foo.")]
    [InlineData(true, null, 0, 0, "MSB1009", "Project file does not exist.", "error MSB1009: Project file does not exist.")]
    [InlineData(false, "Program.cs", 2, 1, null, "no code", "Program.cs(2,1): warning: no code")]
    public void ToString_is_the_compilers_own_format(bool isError, string? file, int line, int column, string? code, string message, string expected)
    {
        Assert.Equal(expected, new BuildDiagnostic(isError, file, line, column, code, message).ToString());
    }

    [Fact]
    public void Parsed_line_prints_back_relative_to_the_project()
    {
        Assert.Equal(
            "src/A.cs(12,7): error CS0246: The type or namespace name 'Foo' could not be found (are you missing a using directive or an assembly reference?)",
            Parse("/tmp/agentsandbox-build/src/A.cs(12,7): error CS0246: The type or namespace name 'Foo' could not be found (are you missing a using directive or an assembly reference?) [/tmp/agentsandbox-build/App.csproj]").ToString());
    }

    [Fact]
    public void An_absolute_path_outside_the_build_keeps_its_spaces()
    {
        var diagnostic = BuildOutputParser.Parse("/opt/My SDK/x.targets(1,1): warning MSB3277: Conflicts.", "/tmp/agentsandbox-build");

        Assert.Equal("/opt/My SDK/x.targets", diagnostic?.File);
    }
}
