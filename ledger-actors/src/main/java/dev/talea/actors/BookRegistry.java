package dev.talea.actors;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Spawns one {@link BookActor} per book on first use and routes posts to it.
 *
 * <p>Passivation follows the usual handshake: an idle book actor asks to be passivated; the
 * registry stops routing to it, holds that book's new posts (up to the queue depth), and tells it
 * to stop; it stops once nothing is pending; when it has terminated the registry starts a new one
 * for any held posts. So a book never has two writers in this process, and no post is routed to a
 * stopped actor.
 *
 * <p>A post is never left without an answer: the registry watches the event stream for posts that
 * Pekko had to drop (a book actor's restart-backoff stash overflowing) or could not deliver, and
 * answers them {@code unavailable}.
 */
public final class BookRegistry {

  public sealed interface Command permits Post, ActiveBooks, Passivate, Terminated, Undelivered {}

  /** Commit drafts to a book; the answer goes to {@code replyTo}. */
  public record Post(String book, List<TransactionDraft> drafts, ActorRef<PostResult> replyTo)
      implements Command {}

  /** The names of the books with a running actor, for inspection and metrics. */
  public record ActiveBooks(ActorRef<Set<String>> replyTo) implements Command {}

  /** From an idle book actor. */
  record Passivate(String book, ActorRef<BookActor.Command> actor) implements Command {}

  private record Terminated(String book, ActorRef<BookActor.Command> actor) implements Command {}

  private record Undelivered(Object message) implements Command {}

  /** A book's actor, and the posts held for it while it passivates. */
  private static final class Entry {
    final ActorRef<BookActor.Command> actor;
    boolean passivating;
    final List<BookActor.Post> held = new ArrayList<>();

    Entry(ActorRef<BookActor.Command> actor) {
      this.actor = actor;
    }
  }

  private final ActorContext<Command> context;
  private final Store store;
  private final Executor blocking;
  private final CommitFeed feed;
  private final LedgerSettings settings;
  private final LedgerMetrics metrics;
  private final Map<String, Entry> books = new HashMap<>();

  private BookRegistry(
      ActorContext<Command> context,
      Store store,
      Executor blocking,
      CommitFeed feed,
      LedgerSettings settings,
      LedgerMetrics metrics) {
    this.context = context;
    this.store = store;
    this.blocking = blocking;
    this.feed = feed;
    this.settings = settings;
    this.metrics = metrics;
  }

  public static Behavior<Command> create(
      Store store,
      Executor blocking,
      CommitFeed feed,
      LedgerSettings settings,
      LedgerMetrics metrics) {
    return Behaviors.setup(
        context -> {
          ActorRef<Dropped> dropped =
              context.messageAdapter(Dropped.class, d -> new Undelivered(d.message()));
          ActorRef<DeadLetter> deadLetters =
              context.messageAdapter(DeadLetter.class, d -> new Undelivered(d.message()));
          context
              .getSystem()
              .eventStream()
              .tell(new EventStream.Subscribe<>(Dropped.class, dropped));
          context
              .getSystem()
              .eventStream()
              .tell(new EventStream.Subscribe<>(DeadLetter.class, deadLetters));
          return new BookRegistry(context, store, blocking, feed, settings, metrics).behavior();
        });
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Post.class, this::onPost)
        .onMessage(ActiveBooks.class, this::onActiveBooks)
        .onMessage(Passivate.class, this::onPassivate)
        .onMessage(Terminated.class, this::onTerminated)
        .onMessage(Undelivered.class, this::onUndelivered)
        .build();
  }

  private Behavior<Command> onPost(Post post) {
    BookActor.Post forward = new BookActor.Post(post.drafts(), post.replyTo());
    Entry entry = books.get(post.book());
    if (entry == null) {
      entry = start(post.book());
    }
    if (entry.passivating) {
      if (entry.held.size() >= settings.writeQueueDepth()) {
        post.replyTo().tell(new PostResult.Refused(LedgerError.bookOverloaded(post.book())));
      } else {
        entry.held.add(forward);
      }
    } else {
      entry.actor.tell(forward);
    }
    return Behaviors.same();
  }

  private Entry start(String book) {
    ActorRef<Command> registry = context.getSelf();
    ActorRef<BookActor.Command> actor =
        context.spawn(
            BookActor.create(
                book,
                self -> registry.tell(new Passivate(book, self)),
                store,
                blocking,
                feed,
                settings,
                metrics),
            book);
    context.watchWith(actor, new Terminated(book, actor));
    Entry entry = new Entry(actor);
    books.put(book, entry);
    return entry;
  }

  private Behavior<Command> onActiveBooks(ActiveBooks request) {
    request.replyTo().tell(new TreeSet<>(books.keySet()));
    return Behaviors.same();
  }

  private Behavior<Command> onPassivate(Passivate request) {
    Entry entry = books.get(request.book());
    if (entry != null && entry.actor.equals(request.actor()) && !entry.passivating) {
      entry.passivating = true;
      entry.actor.tell(BookActor.Stop.INSTANCE);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onTerminated(Terminated terminated) {
    Entry entry = books.get(terminated.book());
    if (entry == null || !entry.actor.equals(terminated.actor())) {
      return Behaviors.same();
    }
    books.remove(terminated.book());
    if (!entry.passivating) {
      context.getLog().warn("the actor of book {} stopped unexpectedly", terminated.book());
    }
    if (!entry.held.isEmpty()) {
      Entry restarted = start(terminated.book());
      entry.held.forEach(restarted.actor::tell);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onUndelivered(Undelivered undelivered) {
    if (undelivered.message() instanceof BookActor.Post post) {
      post.replyTo()
          .tell(
              new PostResult.Refused(
                  LedgerError.of(
                      ErrorCode.UNAVAILABLE,
                      "the book's writer is restarting after a store failure; retry with the same"
                          + " idempotency key")));
    }
    return Behaviors.same();
  }
}
