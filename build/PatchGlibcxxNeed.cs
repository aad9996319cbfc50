using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Marks one GNU version-need (Vernaux) entry WEAK in ELF64 little-endian shared libraries, so the dynamic loader tolerates
// a libstdc++ that lacks that version. Idempotent; does nothing when the system libstdc++ already provides the version.
public class PatchGlibcxxNeed : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        if (SystemHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, $"libstdc++ provides {Version}; nothing to patch.");
            return true;
        }
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var bytes = File.ReadAllBytes(path);
                switch (MarkWeak(bytes))
                {
                    case Outcome.Patched:
                        // Write a new file and rename it over the old one: this breaks any hard link into the NuGet cache.
                        var tmp = path + ".weak-tmp";
                        File.WriteAllBytes(tmp, bytes);
                        File.Delete(path);
                        File.Move(tmp, path);
                        Log.LogMessage(MessageImportance.High, $"SharpLM: marked {Version} need WEAK in {path}");
                        break;
                    case Outcome.AlreadyWeak:
                        Log.LogMessage(MessageImportance.Low, $"{path}: {Version} need already WEAK.");
                        break;
                    case Outcome.NotNeeded:
                        Log.LogMessage(MessageImportance.Low, $"{path}: no {Version} need.");
                        break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Log.LogError($"SharpLM: could not patch {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    bool SystemHasVersion()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        };
        var needle = Encoding.ASCII.GetBytes(Version + "\0");
        foreach (var c in candidates.Where(File.Exists))
            if (IndexOf(File.ReadAllBytes(c), needle) >= 0) return true;
        return false;
    }

    enum Outcome { NotNeeded, AlreadyWeak, Patched }

    Outcome MarkWeak(byte[] b)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
            throw new InvalidDataException("not an ELF file");
        if (b[4] != 2 || b[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(b, sh + 4) != ShtGnuVerneed) continue;
            int strtab = checked((int)shoff + (int)BitConverter.ToUInt32(b, sh + 40) * shentsize); // sh_link → .dynstr
            long strOff = (long)BitConverter.ToUInt64(b, strtab + 24);
            long needOff = (long)BitConverter.ToUInt64(b, sh + 24);
            int count = (int)BitConverter.ToUInt32(b, sh + 44); // sh_info = number of Verneed entries
            long vn = needOff;
            for (int n = 0; n < count; n++)
            {
                ushort cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    uint name = BitConverter.ToUInt32(b, (int)aux + 8);
                    if (ReadCString(b, strOff + name) == Version)
                    {
                        ushort flags = BitConverter.ToUInt16(b, (int)aux + 4);
                        if ((flags & VerFlgWeak) != 0) return Outcome.AlreadyWeak;
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(b, (int)aux + 4);
                        return Outcome.Patched;
                    }
                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(b, (int)vn + 12);
            }
        }
        return Outcome.NotNeeded;
    }

    static string ReadCString(byte[] b, long offset)
    {
        int end = (int)offset;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)offset, end - (int)offset);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
