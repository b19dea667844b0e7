package dev.talea.actors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.io.NotSerializableException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every message type that crosses nodes in a cluster — a post to a book's writer and each kind of
 * answer — round-trips through the serializer Pekko picks for it, which is talea's own and never
 * Java serialization (which this system forbids outright).
 */
class CrossNodeSerializerTest {

  @TempDir Path temp;

  private ActorTestKit kit;
  private Serialization serialization;

  @BeforeEach
  void start() {
    kit =
        ActorTestKit.create(
            ConfigFactory.parseString("pekko.actor.allow-java-serialization = off")
                .withFallback(ConfigFactory.load()));
    serialization = SerializationExtension.get(kit.system().classicSystem());
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aPostWithEveryFieldOfItsDraftsAndItsReplyAddressRoundTrips() {
    TestProbe<PostResult> replyTo = kit.createTestProbe();
    TransactionDraft plain =
        new TransactionDraft(
            "deposit-1",
            List.of(
                DraftPosting.debit("assets:hot-wallet", "BTC", "0.5"),
                DraftPosting.credit("liabilities:customers:alice", "BTC", "0.5")));
    TransactionDraft rich =
        new TransactionDraft(
            "swap:2/eth~usdc",
            List.of(
                DraftPosting.debit(
                    "assets:hot-wallet",
                    "ETH",
                    "115792089237316195423570985008687907853269984665640564039457.584007913129639935"),
                DraftPosting.credit(
                    "liabilities:customers:bob",
                    "ETH",
                    "115792089237316195423570985008687907853269984665640564039457.584007913129639935"),
                DraftPosting.debit("liabilities:customers:bob", "USDC", "12.000001"),
                DraftPosting.credit("income:fees", "USDC", "12.000001")),
            Instant.parse("2026-11-20T14:02:00.123456Z"),
            "line\nbreak \"quoted\"",
            Map.of("chain_tx", "0xabc", "note", "a\r\nb"));
    BookActor.Post post = new BookActor.Post(List.of(plain, rich), replyTo.getRef());

    BookActor.Post back = (BookActor.Post) roundTrip(post, CrossNodeSerializer.POST);

    assertThat(back).isEqualTo(post);
    assertThat(back.drafts().get(1).metadata()).isEqualTo(rich.metadata());
    back.replyTo().tell(new PostResult.Refused(LedgerError.bookOverloaded("b")));
    assertThat(replyTo.receiveMessage()).isInstanceOf(PostResult.Refused.class);
  }

  @Test
  void doneWithNewReplayedAndRejectedOutcomesFromARealStoreRoundTrips() {
    List<PostOutcome> outcomes = new ArrayList<>();
    try (Store store = Stores.open("log:" + temp.resolve("log"), StoreSettings.defaults())) {
      store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
      store.openAccount("b", "assets:cash", new AccountSpec(AccountKind.ASSET));
      store.openAccount("b", "liabilities:alice", new AccountSpec(AccountKind.LIABILITY));
      TransactionDraft deposit =
          new TransactionDraft(
              "k1",
              List.of(
                  DraftPosting.debit("assets:cash", "BTC", "1.5"),
                  DraftPosting.credit("liabilities:alice", "BTC", "1.5")),
              Instant.parse("2026-11-20T14:02:00Z"),
              "first",
              Map.of("chain_tx", "0x1"));
      TransactionDraft unknown =
          new TransactionDraft(
              "k2",
              List.of(
                  DraftPosting.debit("assets:elsewhere", "BTC", "1"),
                  DraftPosting.credit("liabilities:alice", "BTC", "1")));
      outcomes.addAll(store.commitBatch("b", List.of(deposit, unknown)));
      outcomes.addAll(store.commitBatch("b", List.of(deposit)));
    }
    assertThat(outcomes).extracting(PostOutcome::httpStatus).containsExactly(201, 422, 200);
    PostResult.Done done = new PostResult.Done(outcomes);

    assertThat(roundTrip(done, CrossNodeSerializer.DONE)).isEqualTo(done);
  }

  @Test
  void everyRefusalRoundTripsWithItsCodeDetailAndFields() {
    for (LedgerError error :
        List.of(
            LedgerError.bookOverloaded("payments"),
            LedgerError.of(ErrorCode.UNAVAILABLE, "the store failed; retry with the same key"),
            LedgerError.unknownAccount("assets:x"))) {
      PostResult.Refused refused = new PostResult.Refused(error);
      assertThat(roundTrip(refused, CrossNodeSerializer.REFUSED)).isEqualTo(refused);
    }
  }

  @Test
  void anUnknownManifestIsRefusedNotGuessed() throws NotSerializableException {
    Serializer serializer = serialization.serializerFor(PostResult.Done.class);
    assertThat(serializer).isInstanceOf(CrossNodeSerializer.class);
    assertThatThrownBy(
            () -> ((CrossNodeSerializer) serializer).fromBinary("{}".getBytes(), "something-else"))
        .isInstanceOf(NotSerializableException.class)
        .hasMessage("unknown manifest of a cross-node message: something-else");
  }

  private Object roundTrip(Object message, String manifest) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertThat(serializer).isInstanceOf(CrossNodeSerializer.class);
    assertThat(serializer.identifier()).isEqualTo(CrossNodeSerializer.IDENTIFIER);
    assertThat(Serializers.manifestFor(serializer, message)).isEqualTo(manifest);
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }
}
