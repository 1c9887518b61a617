package dev.bluejaybridge.config;

import java.util.ListResourceBundle;

/**
 * The config keys' defaults and environment variables for the commands' help texts, read from
 * {@link ConfigKeys}: {@code ${bundle:bluejay.base-url.default}}, {@code
 * ${bundle:bluejay.base-url.env}}.
 */
public final class ConfigDefaults extends ListResourceBundle {
  @Override
  protected Object[][] getContents() {
    Object[][] contents = new Object[ConfigKeys.all().size() * 2][];
    int i = 0;
    for (ConfigKey<?> key : ConfigKeys.all()) {
      contents[i++] = new Object[] {key.name() + ".default", key.defaultText().orElse("none")};
      contents[i++] = new Object[] {key.name() + ".env", key.envName()};
    }
    return contents;
  }
}
