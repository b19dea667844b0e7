package dev.talea.protocol;

import java.util.List;

/**
 * A page of a book's accounts sorted by name.
 *
 * @param nextAfter the {@code after} of the next page, or {@code null} when this is the last
 */
public record AccountPage(List<Account> accounts, String nextAfter) {

  public AccountPage {
    accounts = List.copyOf(accounts);
  }
}
