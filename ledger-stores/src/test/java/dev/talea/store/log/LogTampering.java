package dev.talea.store.log;

import dev.talea.store.Store;
import dev.talea.store.read.StoredCommit;
import dev.talea.store.read.StoredPosting;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Edits the log of an open store behind its back, as a disk error or a malicious edit would: a
 * record is rewritten in place with checksums that match, so only the hash chain can tell.
 */
final class LogTampering {

  private LogTampering() {}

  /** Replaces the amount of one logged posting; the record keeps its length. */
  static void changePostingAmount(
      Store store, Path directory, String book, long seq, int index, BigInteger amount)
      throws IOException {
    long position = ((LogStore) store).positionOf(book, seq);
    Path file = directory.resolve(String.format("%08d.log", LogFile.segmentOf(position)));
    long offset = LogFile.offsetOf(position);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer header = readFully(channel, offset, LogFile.RECORD_HEADER_BYTES);
      int length = header.getInt(0);
      ByteBuffer body = readFully(channel, offset + LogFile.RECORD_HEADER_BYTES, length);
      StoredCommit commit = ((Records.CommitRecord) Records.decode(body)).commit();
      List<StoredPosting> postings = new ArrayList<>(commit.postings());
      StoredPosting posting = postings.get(index);
      postings.set(
          index,
          new StoredPosting(
              posting.account(), posting.asset(), posting.side(), amount, posting.balanceAfter()));
      byte[] changed = Records.encode(commit.withPostings(postings));
      if (changed.length != length) {
        throw new IllegalArgumentException("the changed record must keep its length");
      }
      ByteBuffer frame = ByteBuffer.allocate(LogFile.RECORD_HEADER_BYTES + length);
      frame.putInt(length).putInt(crc(changed, 0, length));
      frame.putInt(crc(frame.array(), 0, 8)).put(changed).flip();
      while (frame.hasRemaining()) {
        channel.write(frame, offset + frame.position());
      }
      channel.force(false);
    }
  }

  private static ByteBuffer readFully(FileChannel channel, long offset, int length)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, offset + buffer.position()) < 0) {
        throw new IOException("the log ends inside the record at offset " + offset);
      }
    }
    return buffer.flip();
  }

  private static int crc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return (int) crc.getValue();
  }
}
