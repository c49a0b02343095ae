using System.Runtime.InteropServices;
using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Spec;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Task = System.Threading.Tasks.Task;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace AgentSandbox.Tasks;

/// <summary>
/// The bridge every AgentSandbox task shares: runs the async work, turns coded exceptions into coded MSBuild
/// errors (no stack trace), and stops the work, with a coded error that says why, when the build is cancelled
/// (Ctrl+C, MSBuild's own cancellation), receives SIGTERM (what timeout, systemd and CI cancellation send) or SIGHUP
/// (its terminal closed), or a task's time runs out.
/// </summary>
public abstract class AgentSandboxTask : MSBuildTask, ICancelableTask
{
    private const string SessionKey = "AgentSandbox.SessionId";

    /// <summary>How long a process that is exiting waits for the run to clean up: well within what SIGTERM's senders allow.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(8);

    private readonly CancellationTokenSource _cancellation = new();
    private readonly ManualResetEventSlim _finished = new();
    private int _executeThread;
    private IBuildEngine3? _yielded;
    private readonly object _gate = new();
    private Func<AgentSandboxException>? _stopped;

    /// <summary>The project the errors and warnings are about, so the IDE's error list points at it, not at our targets.</summary>
    public string? ProjectFile { get; set; }

    public void Cancel() => Stop(() => Diagnostics.Cancelled("the build was cancelled (Ctrl+C, or the build's own cancellation)"));

    /// <summary>Why the work was stopped, as the coded error the task fails with (and result.json records).</summary>
    private protected AgentSandboxException Stopped() => (_stopped ?? (() => Diagnostics.Cancelled("the build was cancelled")))();

    /// <summary>Stops the work with the error <paramref name="why"/> makes, unless it was stopped already.</summary>
    private protected void Stop(Func<AgentSandboxException> why)
    {
        lock (_gate)
        {
            _stopped ??= why;
        }
        _cancellation.Cancel();
    }

    public sealed override bool Execute()
    {
        var log = new MSBuildSandboxLog(Log, string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile);
        // In the process that runs the task: the signal stops the run (and cleans up) instead of the process.
        using var terminate = StopOn(PosixSignal.SIGTERM, "the build received SIGTERM (a timeout, systemd or a CI system cancelling it)");
        using var hangUp = StopOn(PosixSignal.SIGHUP, "the build received SIGHUP (its terminal or session closed)");
        // The dotnet CLI answers SIGTERM itself by exiting the process: the run is stopped and cleaned up on the way out.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        _executeThread = Environment.CurrentManagedThreadId;
        try
        {
            ExecuteAsync(log, _cancellation.Token).GetAwaiter().GetResult();
        }
        catch (AgentSandboxException exception)
        {
            log.Error(exception);
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            log.Error(Stopped());
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Error(Diagnostics.FileAccessFailed(exception));
        }
        catch (Exception exception)
        {
            // Ours to fix, not the user's: a coded error, and the stack trace only for those who ask for it.
            log.Error(Diagnostics.Internal(exception));
            Log.LogMessage(MessageImportance.Low, "{0}", Text.Loggable(exception.ToString()));
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            _finished.Set();
            // On the thread that yielded, as MSBuild requires; it gives the project its node (and directory) back.
            // After the run is over: a process that exits meanwhile waits for the run, never for MSBuild's node.
            _yielded?.Reacquire();
            _yielded = null;
        }
        return !Log.HasLoggedErrors && !_cancellation.IsCancellationRequested;
    }

    /// <summary>
    /// Lets this task's MSBuild node build other projects while it waits for its containers, as ToolTask does for a
    /// long-running tool: `-m` over more projects than nodes then runs their agents at once. Everything that depends
    /// on the project's directory or the node's state is read before this; logging goes on as before.
    /// </summary>
    private protected void YieldNodeWhileWaiting()
    {
        // Only on the thread Execute runs on: MSBuild takes Reacquire only from the thread that yielded.
        if (_yielded is null && Environment.CurrentManagedThreadId == _executeThread && BuildEngine is IBuildEngine3 engine)
        {
            engine.Yield();
            _yielded = engine;
        }
    }

    /// <summary>
    /// The process is exiting under a running task (the dotnet CLI's answer to SIGTERM): the run is stopped and waited
    /// for, so that its containers, proxy and networks go; the error is written where the build's output goes, as the
    /// build's loggers are already gone, and the process exits with a failure.
    /// </summary>
    private void OnProcessExit(object? sender, EventArgs e)
    {
        Stop(() => Diagnostics.Cancelled("the build's process is exiting (SIGTERM, or the dotnet CLI's own shutdown)"));
        _finished.Wait(ExitGrace);
        var error = Stopped();
        var project = string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile;
        Console.Error.WriteLine($"{project} : error {error.Code}: {Text.Loggable(error.Message)}");
        Environment.ExitCode = 1;
    }

    private protected abstract Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken);

    private PosixSignalRegistration? StopOn(PosixSignal signal, string reason)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Stop(() => Diagnostics.Cancelled(reason));
            });
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Item specs of an optional item input, for the library's plain lists.</summary>
    internal static IReadOnlyList<string> Specs(ITaskItem[]? items) => items?.Select(item => item.ItemSpec).ToList() ?? [];

    /// <summary>A new identity for this task's resources, in the build's session: one id per build and MSBuild node.</summary>
    internal RunIdentity NewRunIdentity()
    {
        if (BuildEngine is not IBuildEngine4 engine)
        {
            return RunIdentity.New(RunIdentity.NewId());
        }
        if (engine.GetRegisteredTaskObject(SessionKey, RegisteredTaskObjectLifetime.Build) is not string session)
        {
            session = RunIdentity.NewId();
            engine.RegisterTaskObject(SessionKey, session, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        }
        return RunIdentity.New(session);
    }

    /// <summary>
    /// Every message, warning and error reaches MSBuild here, and only here: whatever text came out of the sandbox is
    /// made safe for a terminal and a CI log on the way (<see cref="Text.Loggable"/>), so no agent can write control
    /// sequences or CI commands into a log.
    /// </summary>
    private sealed class MSBuildSandboxLog(TaskLoggingHelper log, string? projectFile) : ISandboxLog
    {
        public void Important(string message) => log.LogMessage(MessageImportance.High, "{0}", Text.Loggable(message));
        public void Info(string message) => log.LogMessage(MessageImportance.Normal, "{0}", Text.Loggable(message));
        public void Detail(string message) => log.LogMessage(MessageImportance.Low, "{0}", Text.Loggable(message));

        // The project file as location, so that the IDE's error list can take users to it.
        public void Warn(Warning warning) => log.LogWarning(null, warning.Code, null, projectFile, 0, 0, 0, 0, "{0}", Text.Loggable(warning.Message));
        public void Problem(SourceProblem problem)
        {
            var file = problem.File is null ? projectFile : Text.Loggable(problem.File);
            if (problem.IsError)
            {
                log.LogError(problem.Subcategory, problem.Code, null, file, problem.Line, problem.Column, 0, 0, "{0}", Text.Loggable(problem.Message));
            }
            else
            {
                log.LogWarning(problem.Subcategory, problem.Code, null, file, problem.Line, problem.Column, 0, 0, "{0}", Text.Loggable(problem.Message));
            }
        }

        public void Error(AgentSandboxException error) => log.LogError(null, error.Code, null, projectFile, 0, 0, 0, 0, "{0}", Text.Loggable(error.Message));

        /// <summary>
        /// Under GitHub Actions, ::stop-commands:: with a token nobody can guess, and the token to resume: the only two
        /// lines logged as they are. Elsewhere nothing (the lines themselves are made harmless anyway).
        /// </summary>
        public IDisposable AgentOutput()
        {
            if (Environment.GetEnvironmentVariable("GITHUB_ACTIONS") != "true")
            {
                return new Scope(() => { });
            }
            var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            log.LogMessage(MessageImportance.High, "{0}", $"::stop-commands::{token}");
            return new Scope(() => log.LogMessage(MessageImportance.High, "{0}", $"::{token}::"));
        }

        private sealed class Scope(Action end) : IDisposable
        {
            public void Dispose() => end();
        }
    }
}
