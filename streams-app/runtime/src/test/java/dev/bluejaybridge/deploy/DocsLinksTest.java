package dev.bluejaybridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and the reference docs under {@code streams-app/docs/} link only to files in the
 * repository: every relative link resolves to a file or folder inside it (and its {@code #anchor},
 * when it points into a Markdown file, to one of that file's headings), and nothing mentions the
 * {@code shared} folder beside the repository (dot-dot-slash shared), which a clone does not have.
 * That path is only ever written as a pattern here: the repository's own guard greps every source
 * file for it.
 */
class DocsLinksTest {
  private static final String DOCS = "streams-app/docs";

  /** {@code [text](target)} or {@code [text](target "title")}; images too. */
  private static final Pattern INLINE_LINK = Pattern.compile("\\]\\(\\s*<?([^)\\s>]+)>?[^)]*\\)");

  /** {@code [label]: target} on a line of its own. */
  private static final Pattern REFERENCE_LINK =
      Pattern.compile("(?m)^\\s{0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?(?:\\s.*)?$");

  private static final Pattern FENCED_CODE = Pattern.compile("(?ms)^\\s*```.*?^\\s*```");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}\\s+(.+?)\\s*#*\\s*$");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  private static final Pattern SHARED = Pattern.compile("\\.\\./shared");

  @Test
  void everyRelativeLinkPointsToAFileInTheRepository() {
    Path root = DeployFiles.repoRoot();
    List<String> broken = new ArrayList<>();
    for (Path doc : documents(root)) {
      for (String target : links(read(doc))) {
        problem(root, doc, target).ifPresent(p -> broken.add(root.relativize(doc) + ": " + p));
      }
    }
    assertThat(broken).as("broken links").isEmpty();
  }

  @Test
  void nothingMentionsTheSharedFolderBesideTheRepository() {
    Path root = DeployFiles.repoRoot();
    List<String> mentions = new ArrayList<>();
    for (Path doc : documents(root)) {
      String[] lines = read(doc).split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        if (SHARED.matcher(lines[i]).find()) {
          mentions.add(root.relativize(doc) + ":" + (i + 1) + ": " + lines[i].strip());
        }
      }
    }
    assertThat(mentions).as("mentions of the shared folder beside the repository").isEmpty();
  }

  @Test
  void theCheckSeesBrokenLinksAndAnchors() {
    // Guards the parser: the checks above pass trivially if it finds no links.
    Path root = DeployFiles.repoRoot();
    Path readme = root.resolve("README.md");
    assertThat(links(read(readme))).contains(DOCS + "/topics.md");
    assertThat(links("[a](x.md) [b](<y.md> \"t\") ![c](img.png)\n[d]: z.md\n```\n[e](no.md)\n```"))
        .containsExactly("x.md", "y.md", "img.png", "z.md");
    assertThat(problem(root, readme, "streams-app/docs/no-such-file.md")).isPresent();
    assertThat(problem(root, readme, "streams-app/docs/topics.md#no-such-heading")).isPresent();
    assertThat(problem(root, readme, "../outside.md")).isPresent();
    assertThat(problem(root, readme, "streams-app/docs/topics.md#poison-records")).isEmpty();
    assertThat(problem(root, readme, "https://example.com/missing")).isEmpty();
    assertThat(SHARED.matcher("see " + ".." + "/shared/CONTRACT.md").find()).isTrue();
    assertThat(SHARED.matcher("the shared block cache").find()).isFalse();
  }

  /** README.md and every Markdown file under the docs folder. */
  private static List<Path> documents(Path root) {
    List<Path> documents = new ArrayList<>();
    documents.add(root.resolve("README.md"));
    Path docs = root.resolve(DOCS);
    assertThat(docs).as(DOCS).isDirectory();
    try (Stream<Path> files = Files.walk(docs)) {
      files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(documents::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return documents;
  }

  /** The link targets of a Markdown text, outside fenced code blocks, in order. */
  static List<String> links(String markdown) {
    String text = FENCED_CODE.matcher(markdown).replaceAll("");
    List<String> targets = new ArrayList<>();
    Matcher inline = INLINE_LINK.matcher(text);
    while (inline.find()) {
      targets.add(inline.group(1));
    }
    Matcher reference = REFERENCE_LINK.matcher(text);
    while (reference.find()) {
      targets.add(reference.group(1));
    }
    return targets;
  }

  /** What is wrong with a link of {@code doc}, if anything; absolute URLs are not checked. */
  static Optional<String> problem(Path root, Path doc, String target) {
    if (SCHEME.matcher(target).find()) {
      return Optional.empty();
    }
    int hash = target.indexOf('#');
    String path = hash < 0 ? target : target.substring(0, hash);
    String anchor = hash < 0 ? null : target.substring(hash + 1);
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    Path resolved = path.isEmpty() ? doc : doc.getParent().resolve(path).normalize();
    if (!resolved.startsWith(root)) {
      return Optional.of(target + " points outside the repository");
    }
    if (!Files.exists(resolved)) {
      return Optional.of(target + " (" + root.relativize(resolved) + ") does not exist");
    }
    if (anchor != null
        && !anchor.isEmpty()
        && resolved.toString().endsWith(".md")
        && !anchors(read(resolved)).contains(anchor)) {
      return Optional.of(target + ": no heading #" + anchor + " in " + root.relativize(resolved));
    }
    return Optional.empty();
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces as '-', repeats -1, -2… */
  static Set<String> anchors(String markdown) {
    Set<String> anchors = new HashSet<>();
    Matcher heading = HEADING.matcher(FENCED_CODE.matcher(markdown).replaceAll(""));
    while (heading.find()) {
      String slug =
          heading
              .group(1)
              .toLowerCase(Locale.ROOT)
              .replaceAll("[^\\p{L}\\p{N} _-]", "")
              .replace(' ', '-');
      String unique = slug;
      for (int n = 1; !anchors.add(unique); n++) {
        unique = slug + "-" + n;
      }
    }
    return anchors;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
