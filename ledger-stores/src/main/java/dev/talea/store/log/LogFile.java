package dev.talea.store.log;

import dev.talea.store.StoreException;
import dev.talea.store.StoreUnavailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only log: numbered segment files of framed records.
 *
 * <p>A segment starts with a 16-byte header ({@code TALEALOG}, format version, segment number).
 * Each record is a 12-byte header — body length, CRC32C of the body, CRC32C of those first 8 header
 * bytes — followed by the body. The header's own checksum tells a torn write (an intact header
 * whose body was cut short) from a damaged length field.
 *
 * <p>Appends are sequential. {@link #flush} makes everything appended so far durable with one
 * {@code fdatasync}, and callers acknowledge nothing before it returns; concurrent callers share
 * one flush. A new segment is forced, with its directory entry, before anything in it can be
 * acknowledged, and the segment before it is forced before the switch.
 *
 * <p>A record's position packs the segment number (high 24 bits) and the byte offset (low 40 bits),
 * so positions order like the log.
 */
final class LogFile implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LogFile.class);

  static final byte[] MAGIC = "TALEALOG".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 1;
  static final int FILE_HEADER_BYTES = 16;
  static final int RECORD_HEADER_BYTES = 12;
  static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;
  private static final int OFFSET_BITS = 40;

  /** Receives each whole record found on open, in log order. */
  interface RecordSink {
    void accept(long position, ByteBuffer body);
  }

  private final Path directory;
  private final long segmentBytes;
  private final List<FileChannel> segments = new ArrayList<>();
  private final Object appendLock = new Object();
  private final Object flushLock = new Object();

  // Guarded by appendLock.
  private FileChannel active;
  private int activeNumber;
  private long activeSize;
  private long written;

  // Guarded by flushLock.
  private long durable;

  private LogFile(Path directory, long segmentBytes) {
    this.directory = directory;
    this.segmentBytes = segmentBytes;
  }

  /**
   * Opens the log in {@code directory}, replaying every whole record into {@code sink}. A torn tail
   * (the last record of the last segment cut short) is truncated and logged; damage anywhere else
   * fails the open with the file and offset.
   *
   * @throws LogCorruptedException for damage that is not a torn tail
   */
  static LogFile open(Path directory, long segmentBytes, RecordSink sink) {
    LogFile log = new LogFile(directory, segmentBytes);
    try {
      List<Path> files;
      try (Stream<Path> listing = Files.list(directory)) {
        files =
            listing
                .filter(p -> p.getFileName().toString().matches("\\d{8}\\.log"))
                .sorted()
                .toList();
      }
      for (int i = 0; i < files.size(); i++) {
        Path file = files.get(i);
        int number = Integer.parseInt(file.getFileName().toString().substring(0, 8));
        if (number != i + 1) {
          throw new LogCorruptedException(file, 0, "segment " + (i + 1) + " is missing");
        }
        boolean last = i == files.size() - 1;
        FileChannel channel =
            FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        log.segments.add(channel);
        long end = log.recover(file, channel, number, last, sink);
        if (last) {
          log.active = channel;
          log.activeNumber = number;
          log.activeSize = end;
        }
      }
      if (log.active == null) {
        log.startSegment(1);
      }
      log.written = position(log.activeNumber, log.activeSize);
      log.durable = log.written;
      return log;
    } catch (IOException e) {
      log.close();
      throw new StoreUnavailableException(
          "cannot open the append log in " + directory + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      log.close();
      throw e;
    }
  }

  /** Scans one segment; returns the offset where appends continue. */
  private long recover(Path file, FileChannel channel, int number, boolean last, RecordSink sink)
      throws IOException {
    long size = channel.size();
    if (size < FILE_HEADER_BYTES) {
      if (last) {
        // A segment whose header never reached the disk holds nothing acknowledged.
        LOG.warn("log segment {} has an incomplete header; starting it afresh", file);
        writeHeader(channel, number);
        return FILE_HEADER_BYTES;
      }
      throw new LogCorruptedException(file, 0, "the segment header is incomplete");
    }
    MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
    map.order(ByteOrder.BIG_ENDIAN);
    checkHeader(file, map, number);
    long pos = FILE_HEADER_BYTES;
    while (pos < size) {
      String problem = null;
      int length = 0;
      if (size - pos < RECORD_HEADER_BYTES) {
        return truncateTornTail(file, channel, pos, size, last, "a record header is cut short");
      }
      int at = (int) pos;
      length = map.getInt(at);
      int bodyCrc = map.getInt(at + 4);
      int headerCrc = map.getInt(at + 8);
      if (crc(map, at, 8) != headerCrc) {
        problem = "record header checksum mismatch";
      } else if (length <= 0 || length > MAX_RECORD_BYTES) {
        problem = "impossible record length " + length;
      } else if (pos + RECORD_HEADER_BYTES + length > size) {
        return truncateTornTail(file, channel, pos, size, last, "the last record is cut short");
      } else if (crc(map, at + RECORD_HEADER_BYTES, length) != bodyCrc) {
        problem = "record checksum mismatch";
      }
      if (problem != null) {
        if (last && !anyWholeRecordAfter(map, pos + 1, size)) {
          return truncateTornTail(file, channel, pos, size, true, problem + " in the last record");
        }
        throw new LogCorruptedException(file, pos, problem);
      }
      ByteBuffer body = map.slice(at + RECORD_HEADER_BYTES, length).order(ByteOrder.BIG_ENDIAN);
      try {
        sink.accept(position(number, pos), body);
      } catch (LogCorruptedException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new LogCorruptedException(file, pos, "unreadable record: " + e.getMessage());
      }
      pos += RECORD_HEADER_BYTES + length;
    }
    return pos;
  }

  private long truncateTornTail(
      Path file, FileChannel channel, long pos, long size, boolean last, String why)
      throws IOException {
    if (!last) {
      throw new LogCorruptedException(file, pos, why + " before the end of the log");
    }
    LOG.warn(
        "log segment {}: {}; truncating the torn tail at offset {} ({} bytes of a record whose"
            + " write did not complete)",
        file,
        why,
        pos,
        size - pos);
    channel.truncate(pos);
    channel.force(true);
    return pos;
  }

  /** Whether any whole, checksum-valid record starts in {@code [from, size)}. */
  private static boolean anyWholeRecordAfter(ByteBuffer map, long from, long size) {
    for (long q = from; q + RECORD_HEADER_BYTES <= size; q++) {
      int at = (int) q;
      if (crc(map, at, 8) != map.getInt(at + 8)) {
        continue;
      }
      int length = map.getInt(at);
      if (length > 0
          && length <= MAX_RECORD_BYTES
          && q + RECORD_HEADER_BYTES + length <= size
          && crc(map, at + RECORD_HEADER_BYTES, length) == map.getInt(at + 4)) {
        return true;
      }
    }
    return false;
  }

  private static void checkHeader(Path file, ByteBuffer map, int number) {
    byte[] magic = new byte[MAGIC.length];
    map.get(0, magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new LogCorruptedException(file, 0, "not a talea log segment");
    }
    int version = map.getInt(8);
    if (version != FORMAT_VERSION) {
      throw new LogCorruptedException(
          file,
          8,
          "log format version "
              + version
              + " is not "
              + FORMAT_VERSION
              + "; it was written by another talea version");
    }
    if (map.getInt(12) != number) {
      throw new LogCorruptedException(file, 12, "the header names segment " + map.getInt(12));
    }
  }

  private void startSegment(int number) throws IOException {
    Path file = directory.resolve(String.format("%08d.log", number));
    FileChannel channel =
        FileChannel.open(
            file,
            java.util.Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
            dev.talea.store.FileModes.ownerOnlyFile());
    writeHeader(channel, number);
    syncDirectory();
    segments.add(channel);
    active = channel;
    activeNumber = number;
    activeSize = FILE_HEADER_BYTES;
  }

  private static void writeHeader(FileChannel channel, int number) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(FILE_HEADER_BYTES);
    header.put(MAGIC).putInt(FORMAT_VERSION).putInt(number).flip();
    channel.truncate(0);
    while (header.hasRemaining()) {
      channel.write(header, header.position());
    }
    channel.force(true);
  }

  private void syncDirectory() throws IOException {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  /**
   * Appends record bodies in order, without making them durable.
   *
   * @return their positions, and after them the position just past the last (for {@link #flush})
   */
  long[] append(List<byte[]> bodies) throws IOException {
    int total = 0;
    for (byte[] body : bodies) {
      if (body.length > MAX_RECORD_BYTES) {
        throw new StoreException("a log record of " + body.length + " bytes exceeds the limit");
      }
      total += RECORD_HEADER_BYTES + body.length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(total);
    long[] positions = new long[bodies.size() + 1];
    synchronized (appendLock) {
      if (activeSize + total > segmentBytes && activeSize > FILE_HEADER_BYTES) {
        active.force(false);
        startSegment(activeNumber + 1);
      }
      long offset = activeSize;
      for (int i = 0; i < bodies.size(); i++) {
        byte[] body = bodies.get(i);
        positions[i] = position(activeNumber, offset + buffer.position());
        int start = buffer.position();
        buffer.putInt(body.length).putInt(crc(body));
        buffer.putInt(crc(buffer, start, 8));
        buffer.put(body);
      }
      buffer.flip();
      long at = offset;
      while (buffer.hasRemaining()) {
        at += active.write(buffer, at);
      }
      activeSize = at;
      written = position(activeNumber, activeSize);
      positions[bodies.size()] = written;
    }
    return positions;
  }

  /** Makes everything up to {@code end} durable; a flush already covering it is shared. */
  void flush(long end) throws IOException {
    synchronized (flushLock) {
      if (durable >= end) {
        return;
      }
      long target;
      FileChannel channel;
      synchronized (appendLock) {
        target = written;
        channel = active;
      }
      channel.force(false);
      durable = target;
    }
  }

  /** The body of the record at {@code position}, checksum-verified. */
  ByteBuffer read(long position) throws IOException {
    FileChannel channel = segments.get(segmentOf(position) - 1);
    long offset = offsetOf(position);
    ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER_BYTES);
    readFully(channel, header, offset);
    int length = header.getInt(0);
    if (crc(header, 0, 8) != header.getInt(8) || length <= 0 || length > MAX_RECORD_BYTES) {
      throw new StoreException("log record header at " + describe(position) + " is damaged");
    }
    ByteBuffer body = ByteBuffer.allocate(length);
    readFully(channel, body, offset + RECORD_HEADER_BYTES);
    if (crc(body, 0, length) != header.getInt(4)) {
      throw new StoreException("log record at " + describe(position) + " fails its checksum");
    }
    return body.flip().order(ByteOrder.BIG_ENDIAN);
  }

  String describe(long position) {
    return String.format("segment %08d.log offset %d", segmentOf(position), offsetOf(position));
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long offset)
      throws IOException {
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, offset + buffer.position());
      if (read < 0) {
        throw new StoreException("the log ends inside a record at offset " + offset);
      }
    }
  }

  static long position(int segment, long offset) {
    return ((long) segment << OFFSET_BITS) | offset;
  }

  static int segmentOf(long position) {
    return (int) (position >>> OFFSET_BITS);
  }

  static long offsetOf(long position) {
    return position & ((1L << OFFSET_BITS) - 1);
  }

  private static int crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length);
    return (int) crc.getValue();
  }

  private static int crc(ByteBuffer buffer, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(buffer.slice(offset, length));
    return (int) crc.getValue();
  }

  @Override
  public void close() {
    for (FileChannel channel : segments) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Appends were flushed before they were acknowledged; closing loses nothing.
      }
    }
  }
}
