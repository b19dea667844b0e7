package dev.talea.actors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireReader;
import dev.talea.protocol.json.WireWriter;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * The bytes of the messages that cross from one talead to another in a cluster: a post to a book's
 * writer ({@link BookActor.Post}) and its answer ({@link PostResult}). They are written in the
 * API's own JSON — a draft exactly as a client posts it, outcomes exactly as the batch endpoint
 * answers them, a refusal as its problem document — so that a message means on the receiving node
 * exactly what the HTTP request meant on the sending one, and a change of the wire format cannot
 * pass unnoticed by one of them. Java serialization is never used (reference.conf turns it off for
 * these types by binding them here).
 */
public final class CrossNodeSerializer extends SerializerWithStringManifest {

  /** This serializer's id in Pekko's registry; unique among the serializers of a system. */
  static final int IDENTIFIER = 7_410_001;

  static final String POST = "post";
  static final String DONE = "done";
  static final String REFUSED = "refused";

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public CrossNodeSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object message) {
    if (message instanceof BookActor.Post) {
      return POST;
    }
    if (message instanceof PostResult.Done) {
      return DONE;
    }
    if (message instanceof PostResult.Refused) {
      return REFUSED;
    }
    throw new IllegalArgumentException("not a cross-node message: " + message.getClass());
  }

  @Override
  public byte[] toBinary(Object message) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    if (message instanceof BookActor.Post post) {
      ArrayNode drafts = root.putArray("drafts");
      for (TransactionDraft draft : post.drafts()) {
        drafts.add(WireWriter.draft(draft));
      }
      root.put("reply_to", resolver().toSerializationFormat(post.replyTo()));
    } else if (message instanceof PostResult.Done done) {
      root.set("results", WireWriter.batchResults(done.outcomes()).get("results"));
    } else if (message instanceof PostResult.Refused refused) {
      root.put("status", refused.error().code().httpStatus());
      root.set("error", WireWriter.problem(refused.error()));
    } else {
      throw new IllegalArgumentException("not a cross-node message: " + message.getClass());
    }
    return Json.toBytes(root);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    JsonNode root = Json.parseResponse(bytes);
    switch (manifest) {
      case POST -> {
        List<TransactionDraft> drafts = new ArrayList<>();
        for (JsonNode draft : root.get("drafts")) {
          drafts.add(WireReader.draft(draft, null));
        }
        ActorRef<PostResult> replyTo = resolver().resolveActorRef(root.get("reply_to").asText());
        return new BookActor.Post(drafts, replyTo);
      }
      case DONE -> {
        return new PostResult.Done(WireReader.batchResults(root));
      }
      case REFUSED -> {
        int status = root.get("status").asInt();
        return new PostResult.Refused(WireReader.problem(status, root.get("error")));
      }
      default ->
          throw new NotSerializableException(
              "unknown manifest of a cross-node message: " + manifest);
    }
  }

  private ActorRefResolver resolver() {
    ActorRefResolver known = resolver;
    if (known == null) {
      known = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = known;
    }
    return known;
  }
}
