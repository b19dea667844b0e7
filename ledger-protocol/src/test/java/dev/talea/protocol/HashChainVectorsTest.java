package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireReader;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pins the canonical encoding with fixed vectors (docs/canonical-encoding.md). These values must
 * never change: stored chains everywhere depend on them.
 */
class HashChainVectorsTest {

  private static JsonNode vectors;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in =
        HashChainVectorsTest.class.getResourceAsStream("hash-chain-vectors.json")) {
      vectors = Json.mapper().readTree(in);
    }
  }

  @Test
  void everyCommitVectorEncodesAndHashesExactly() {
    assertThat(vectors.get("commits")).hasSize(4);
    for (JsonNode vector : vectors.get("commits")) {
      Commit commit = Commit.of(vector);
      byte[] canonical =
          HashChain.canonicalBytes(
              commit.book,
              commit.seq,
              commit.txId,
              commit.committedAt,
              commit.key,
              commit.postings,
              commit.occurredAt,
              commit.memo,
              commit.metadata);
      assertThat(HexFormat.of().formatHex(canonical))
          .as(vector.get("name").asText())
          .isEqualTo(vector.get("canonical_hex").asText());
      assertThat(commit.hash(vector.get("prev_hash").asText()))
          .as(vector.get("name").asText())
          .isEqualTo(vector.get("hash").asText());
    }
  }

  @Test
  void firstVectorHashIsPinned() {
    JsonNode first = vectors.get("commits").get(0);
    assertThat(first.get("prev_hash").asText()).isEqualTo(HashChain.GENESIS);
    assertThat(Commit.of(first).hash(HashChain.GENESIS))
        .isEqualTo("9e8c5a3c617e5f3867877e64b9d03408b1143cebdef9e20d73d64a518cec9031");
  }

  @Test
  void vectorsOfOneBookFormAChain() {
    JsonNode commits = vectors.get("commits");
    for (int i = 1; i < 3; i++) {
      assertThat(commits.get(i).get("prev_hash").asText())
          .isEqualTo(commits.get(i - 1).get("hash").asText());
    }
  }

  @Test
  void hashOfTransactionMatchesTheFieldByFieldHash() {
    JsonNode vector = vectors.get("commits").get(0);
    Commit commit = Commit.of(vector);
    Transaction tx =
        new Transaction(
            commit.txId,
            commit.book,
            commit.seq,
            commit.committedAt,
            commit.occurredAt,
            commit.key,
            false,
            commit.memo,
            commit.metadata,
            commit.postings,
            vector.get("hash").asText(),
            vector.get("prev_hash").asText());
    assertThat(HashChain.hash(tx)).isEqualTo(vector.get("hash").asText());
    assertThat(HashChain.hash(tx.withDeduplicated(true))).isEqualTo(vector.get("hash").asText());
  }

  @Test
  void changingAnyHashedFieldChangesTheHash() {
    JsonNode vector = vectors.get("commits").get(0);
    Commit c = Commit.of(vector);
    String original = c.hash(HashChain.GENESIS);
    List<Posting> otherAmount = new ArrayList<>(c.postings);
    Posting first = otherAmount.get(0);
    otherAmount.set(
        0,
        new Posting(
            first.account(),
            first.asset(),
            first.side(),
            new Amount(first.amount().minorUnits().add(BigInteger.ONE), 8),
            first.balanceAfter()));
    String prevChanged = "1".repeat(64);
    assertThat(
            List.of(
                HashChain.hash(
                    prevChanged,
                    c.book,
                    c.seq,
                    c.txId,
                    c.committedAt,
                    c.key,
                    c.postings,
                    c.occurredAt,
                    c.memo,
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    "payments2",
                    c.seq,
                    c.txId,
                    c.committedAt,
                    c.key,
                    c.postings,
                    c.occurredAt,
                    c.memo,
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    c.book,
                    2,
                    c.txId,
                    c.committedAt,
                    c.key,
                    c.postings,
                    c.occurredAt,
                    c.memo,
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    c.book,
                    c.seq,
                    c.txId,
                    c.committedAt.plusNanos(1_000),
                    c.key,
                    c.postings,
                    c.occurredAt,
                    c.memo,
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    c.book,
                    c.seq,
                    c.txId,
                    c.committedAt,
                    c.key,
                    otherAmount,
                    c.occurredAt,
                    c.memo,
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    c.book,
                    c.seq,
                    c.txId,
                    c.committedAt,
                    c.key,
                    c.postings,
                    null,
                    c.memo,
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    c.book,
                    c.seq,
                    c.txId,
                    c.committedAt,
                    c.key,
                    c.postings,
                    c.occurredAt,
                    "",
                    c.metadata),
                HashChain.hash(
                    HashChain.GENESIS,
                    c.book,
                    c.seq,
                    c.txId,
                    c.committedAt,
                    c.key,
                    c.postings,
                    c.occurredAt,
                    c.memo,
                    Map.of())))
        .doesNotContain(original)
        .doesNotHaveDuplicates();
  }

  @Test
  void balanceAfterIsNotHashed() {
    Commit c = Commit.of(vectors.get("commits").get(0));
    List<Posting> otherBalances = new ArrayList<>();
    for (Posting p : c.postings) {
      otherBalances.add(
          new Posting(p.account(), p.asset(), p.side(), p.amount(), new Amount(BigInteger.TEN, 8)));
    }
    assertThat(
            HashChain.hash(
                HashChain.GENESIS,
                c.book,
                c.seq,
                c.txId,
                c.committedAt,
                c.key,
                otherBalances,
                c.occurredAt,
                c.memo,
                c.metadata))
        .isEqualTo(c.hash(HashChain.GENESIS));
  }

  @Test
  void everyRequestVectorFingerprintsExactly() {
    assertThat(vectors.get("requests")).hasSize(3);
    for (JsonNode vector : vectors.get("requests")) {
      TransactionDraft draft = WireReader.draft(vector.get("draft"), null);
      assertThat(RequestFingerprint.of(draft))
          .as(vector.get("name").asText())
          .isEqualTo(vector.get("fingerprint").asText());
    }
  }

  @Test
  void trailingZerosOffsetAndKeyDoNotChangeTheFingerprint() {
    JsonNode requests = vectors.get("requests");
    assertThat(requests.get(1).get("fingerprint").asText())
        .isEqualTo(requests.get(0).get("fingerprint").asText())
        .isEqualTo("5cffd219ac601160c008e6366f36ea83210a9877826c5059f48a56d4e25c04e3");
  }

  @Test
  void malformedPrevHashIsRefused() {
    Commit c = Commit.of(vectors.get("commits").get(0));
    assertThatThrownBy(() -> c.hash("ABC"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a lowercase hex SHA-256");
    assertThat(HashChain.isHash(HashChain.GENESIS)).isTrue();
    assertThat(HashChain.isHash("A".repeat(64))).isFalse();
  }

  private record Commit(
      String book,
      long seq,
      UUID txId,
      Instant committedAt,
      String key,
      List<Posting> postings,
      Instant occurredAt,
      String memo,
      Map<String, String> metadata) {

    static Commit of(JsonNode v) {
      List<Posting> postings = new ArrayList<>();
      for (JsonNode p : v.get("postings")) {
        postings.add(
            new Posting(
                p.get("account").asText(),
                p.get("asset").asText(),
                p.get("side").asText().equals("debit") ? Side.DEBIT : Side.CREDIT,
                new Amount(new BigInteger(p.get("amount_minor").asText()), 8),
                Amount.zero(8)));
      }
      Map<String, String> metadata = new LinkedHashMap<>();
      v.get("metadata").properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
      return new Commit(
          v.get("book").asText(),
          v.get("seq").asLong(),
          UUID.fromString(v.get("tx_id").asText()),
          Timestamps.parse(v.get("committed_at").asText(), "committed_at"),
          v.get("idempotency_key").asText(),
          postings,
          v.get("occurred_at").isNull()
              ? null
              : Timestamps.parse(v.get("occurred_at").asText(), "occurred_at"),
          v.get("memo").isNull() ? null : v.get("memo").asText(),
          metadata);
    }

    String hash(String prevHash) {
      return HashChain.hash(
          prevHash, book, seq, txId, committedAt, key, postings, occurredAt, memo, metadata);
    }
  }
}
