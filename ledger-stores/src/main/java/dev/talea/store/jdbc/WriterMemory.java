package dev.talea.store.jdbc;

import dev.talea.store.commit.BalanceKey;
import dev.talea.store.commit.BookSnapshot;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What this process's writer of a book knows of the book after its own last group commit: the seq
 * it left the book at, and the rules and raw balances of the accounts its commits touched. A group
 * commit that finds the book still at that seq under the book's lock (nobody else has committed
 * since: seqs only grow, and every commit moves the counter row) takes those accounts from here
 * instead of reading them again, which saves a statement and its round trip per group commit. One
 * that finds any other seq — another instance wrote the book in between, a stale owner during a
 * cluster handover, a commit of ours whose outcome was lost — reads the accounts from the database
 * and starts the book's memory again from what it read.
 *
 * <p>An account's kind and {@code min_balance} never change once it is open (§3: a different one is
 * a conflict), so a rule once read stays true; its balances are true at the memory's seq only. An
 * account the drafts name that is not open is never remembered: such a group always reads.
 *
 * <p>A book's memory is checked out for the length of one group commit and checked in again only
 * after that commit is durable, so a failed or unknown commit leaves nothing behind, and two
 * commits of one book in this process (the book actor allows one at a time) could not share one.
 * Bounded: {@link #BOOKS} books, least recently committed dropped first, and {@link
 * #ACCOUNTS_PER_BOOK} accounts each, least recently used dropped first: at most 65,536 accounts, a
 * few MiB.
 */
final class WriterMemory {

  /** Books remembered at most; the least recently committed is forgotten first. */
  static final int BOOKS = 64;

  /** Accounts remembered per book at most; the least recently used is forgotten first. */
  static final int ACCOUNTS_PER_BOOK = 1_024;

  private final Map<String, Book> books =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Book> eldest) {
          return size() > BOOKS;
        }
      };

  private long hits;
  private long misses;

  /** Takes the book's memory out for one group commit, or {@code null} if there is none. */
  synchronized Book checkOut(String book) {
    return books.remove(book);
  }

  /** Puts the book's memory back once the group commit that used it is durable. */
  synchronized void checkIn(String book, Book memory) {
    books.put(book, memory);
  }

  /**
   * Fills {@code snapshot}'s accounts and balances from {@code memory} if it is of {@code lastSeq}
   * and knows every account in {@code names}; says whether it did.
   */
  boolean fill(Book memory, long lastSeq, Set<String> names, BookSnapshot snapshot) {
    boolean hit =
        memory != null && memory.seq == lastSeq && memory.accounts.keySet().containsAll(names);
    synchronized (this) {
      if (hit) {
        hits++;
      } else {
        misses++;
      }
    }
    if (!hit) {
      return false;
    }
    for (String name : names) {
      Account account = memory.accounts.get(name);
      snapshot.accounts().put(name, account.rule());
      for (Map.Entry<String, BigInteger> balance : account.balances().entrySet()) {
        snapshot.balances().put(new BalanceKey(name, balance.getKey()), balance.getValue());
      }
    }
    return true;
  }

  /** Group commits whose accounts came from memory, and those that read them; for tests. */
  synchronized long[] hitsAndMisses() {
    return new long[] {hits, misses};
  }

  /**
   * The memory of a book at {@code lastSeq} that holds the accounts just read into {@code snapshot}
   * (every balance of each: the read takes all of an account's assets), on top of {@code previous}
   * when that was of the same seq.
   */
  static Book afterRead(Book previous, long lastSeq, BookSnapshot snapshot) {
    Book memory = previous != null && previous.seq == lastSeq ? previous : new Book(lastSeq);
    for (Map.Entry<String, BookSnapshot.AccountRule> rule : snapshot.accounts().entrySet()) {
      memory.accounts.put(rule.getKey(), new Account(rule.getValue(), new HashMap<>()));
    }
    for (Map.Entry<BalanceKey, BigInteger> balance : snapshot.balances().entrySet()) {
      Account account = memory.accounts.get(balance.getKey().account());
      if (account != null) {
        account.balances().put(balance.getKey().asset(), balance.getValue());
      }
    }
    return memory;
  }

  /** One book's memory: true at {@link #seq}, for the accounts it holds. */
  static final class Book {
    private long seq;
    private final Map<String, Account> accounts =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Account> eldest) {
            return size() > ACCOUNTS_PER_BOOK;
          }
        };

    private Book(long seq) {
      this.seq = seq;
    }

    /**
     * Moves the memory past a group commit: the book is now at {@code lastSeq}, and {@code
     * balances} are the final raw balances of every (account, asset) its commits touched.
     */
    void advance(long lastSeq, Map<BalanceKey, BigInteger> balances) {
      for (Map.Entry<BalanceKey, BigInteger> balance : balances.entrySet()) {
        Account account = accounts.get(balance.getKey().account());
        if (account == null) {
          // Forgotten meanwhile (the LRU bound): its other balances are not known here any more.
          continue;
        }
        account.balances().put(balance.getKey().asset(), balance.getValue());
      }
      seq = lastSeq;
    }
  }

  /** An open account: its rule, and its raw balance per asset (absent: zero). */
  private record Account(BookSnapshot.AccountRule rule, Map<String, BigInteger> balances) {}
}
