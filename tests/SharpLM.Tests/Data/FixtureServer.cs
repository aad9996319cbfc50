using System.Net;
using System.Net.Sockets;

namespace SharpLM.Tests.Data;

/// <summary>
/// A loopback HTTP server for download tests: serves byte arrays by path, honours Range requests, answers 404 for
/// anything else, and can break off a response halfway (once) to imitate a dropped connection.
/// </summary>
public sealed class FixtureServer : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Dictionary<string, byte[]> _files = new();
    readonly HashSet<string> _breakOnce = new();
    readonly Task _loop;

    public FixtureServer()
    {
        // HttpListener takes no port 0: borrow a free port from the OS first.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public string BaseUrl { get; }

    /// <summary>The Range header of every request, in order ("" when there was none).</summary>
    public List<string> Ranges { get; } = [];

    public string Serve(string path, byte[] content, bool breakOffOnce = false)
    {
        lock (_files)
        {
            _files[path] = content;
            if (breakOffOnce) _breakOnce.Add(path);
        }
        return BaseUrl + path;
    }

    async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var path = context.Request.Url!.AbsolutePath.TrimStart('/');
            var range = context.Request.Headers["Range"] ?? "";
            byte[]? content;
            bool breakOff;
            lock (_files)
            {
                Ranges.Add(range);
                _files.TryGetValue(path, out content);
                breakOff = _breakOnce.Remove(path);
            }
            var response = context.Response;
            if (content is null)
            {
                response.StatusCode = 404;
                response.Close();
                continue;
            }
            long from = range.StartsWith("bytes=", StringComparison.Ordinal) ? long.Parse(range[6..].TrimEnd('-')) : 0;
            if (from >= content.Length && from > 0)
            {
                response.StatusCode = 416;
                response.Close();
                continue;
            }
            if (from > 0)
            {
                response.StatusCode = 206;
                response.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
            }
            response.ContentLength64 = content.Length - from;
            try
            {
                if (breakOff)
                {
                    await response.OutputStream.WriteAsync(content.AsMemory((int)from, (content.Length - (int)from) / 2));
                    await response.OutputStream.FlushAsync();
                    response.Abort(); // the connection drops halfway
                    continue;
                }
                await response.OutputStream.WriteAsync(content.AsMemory((int)from));
                response.Close();
            }
            catch (HttpListenerException) { }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
