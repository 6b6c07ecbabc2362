/* interp-config.c: the interpreter configurations, named once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* CPython spells its configurations once (_PyInterpreterConfig_INIT,
 * _PyInterpreterConfig_LEGACY_INIT, init_named_config ("isolated" or
 * "legacy")); this file does the same for #InterpConfig, and names the
 * GObject property that carries each setting, so that #InterpInterpreter,
 * #InterpPool and the Python face cannot drift apart.
 *
 * It sits in the executor layer, beside the #InterpConfig it fills: the
 * executor's main interpreter has the legacy settings with its own GIL (as
 * CPython's pyinit_config() gives the main interpreter), and the executor
 * must not call up into the runtime for them. Every layer above calls it.
 */

#include "interp-python-private.h" /* first: Python.h precedes system headers */
#include "interp-config-private.h"
#include "interp-enum-types.h"

/* Each setting's property: its name, nick and blurb. */
static const struct
{
  const char *name;
  const char *nick;
  const char *blurb;
} properties[] = {
  [INTERP_CONFIG_GIL] = { "gil", "GIL", "Which GIL the interpreter uses" },
  [INTERP_CONFIG_USE_MAIN_OBMALLOC] = { "use-main-obmalloc", "Use main obmalloc",
                                        "Share the main interpreter's allocator" },
  [INTERP_CONFIG_ALLOW_FORK] = { "allow-fork", "Allow fork", "Allow os.fork()" },
  [INTERP_CONFIG_ALLOW_EXEC] = { "allow-exec", "Allow exec", "Allow os.execv() and friends" },
  [INTERP_CONFIG_ALLOW_THREADS] = { "allow-threads", "Allow threads", "Allow Python threads" },
  [INTERP_CONFIG_ALLOW_DAEMON_THREADS] = { "allow-daemon-threads", "Allow daemon threads",
                                           "Allow Python daemon threads" },
  [INTERP_CONFIG_CHECK_MULTI_INTERP_EXTENSIONS] = {
    "check-multi-interp-extensions", "Check extensions",
    "Refuse extension modules without multi-interpreter support" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (properties) == INTERP_CONFIG_N_SETTINGS);

static const InterpConfig named_configs[] = {
  /* CPython's says an own GIL; the default is that where the Python has
   * one, so that the isolated settings still work on 3.11. */
  [INTERP_CONFIG_ISOLATED] = {
    .gil = INTERP_GIL_DEFAULT,
    .use_main_obmalloc = FALSE,
    .allow_fork = FALSE,
    .allow_exec = FALSE,
    .allow_threads = TRUE,
    .allow_daemon_threads = FALSE,
    .check_multi_interp_extensions = TRUE,
  },
  [INTERP_CONFIG_LEGACY] = {
    .gil = INTERP_GIL_SHARED,
    .use_main_obmalloc = TRUE,
    .allow_fork = TRUE,
    .allow_exec = TRUE,
    .allow_threads = TRUE,
    .allow_daemon_threads = TRUE,
    .check_multi_interp_extensions = FALSE,
  },
};

InterpConfig
_interp_config_named (InterpConfigName name)
{
  g_return_val_if_fail (name < G_N_ELEMENTS (named_configs), named_configs[INTERP_CONFIG_ISOLATED]);

  return named_configs[name];
}

const char *
_interp_config_property_name (InterpConfigSetting setting)
{
  g_return_val_if_fail (setting < INTERP_CONFIG_N_SETTINGS, NULL);

  return properties[setting].name;
}

/* The boolean behind @setting; NULL for the GIL. */
static gboolean *
flag (InterpConfig        *config,
      InterpConfigSetting  setting)
{
  switch (setting)
    {
    case INTERP_CONFIG_USE_MAIN_OBMALLOC: return &config->use_main_obmalloc;
    case INTERP_CONFIG_ALLOW_FORK: return &config->allow_fork;
    case INTERP_CONFIG_ALLOW_EXEC: return &config->allow_exec;
    case INTERP_CONFIG_ALLOW_THREADS: return &config->allow_threads;
    case INTERP_CONFIG_ALLOW_DAEMON_THREADS: return &config->allow_daemon_threads;
    case INTERP_CONFIG_CHECK_MULTI_INTERP_EXTENSIONS: return &config->check_multi_interp_extensions;
    case INTERP_CONFIG_GIL:
    case INTERP_CONFIG_N_SETTINGS:
    default: return NULL;
    }
}

static GType
setting_type (InterpConfigSetting setting)
{
  return setting == INTERP_CONFIG_GIL ? INTERP_TYPE_GIL : G_TYPE_BOOLEAN;
}

GParamSpec *
_interp_config_param_spec (InterpConfigSetting setting)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  InterpConfig defaults = named_configs[INTERP_CONFIG_ISOLATED];

  g_return_val_if_fail (setting < INTERP_CONFIG_N_SETTINGS, NULL);

  if (setting == INTERP_CONFIG_GIL)
    return g_param_spec_enum (properties[setting].name, properties[setting].nick,
                              properties[setting].blurb, INTERP_TYPE_GIL, defaults.gil, flags);
  return g_param_spec_boolean (properties[setting].name, properties[setting].nick,
                               properties[setting].blurb, *flag (&defaults, setting), flags);
}

void
_interp_config_get_value (const InterpConfig  *config,
                          InterpConfigSetting  setting,
                          GValue              *value)
{
  g_return_if_fail (setting < INTERP_CONFIG_N_SETTINGS);

  if (setting == INTERP_CONFIG_GIL)
    g_value_set_enum (value, config->gil);
  else
    g_value_set_boolean (value, *flag ((InterpConfig *) config, setting));
}

void
_interp_config_set_value (InterpConfig        *config,
                          InterpConfigSetting  setting,
                          const GValue        *value)
{
  g_return_if_fail (setting < INTERP_CONFIG_N_SETTINGS);

  if (setting == INTERP_CONFIG_GIL)
    config->gil = g_value_get_enum (value);
  else
    *flag (config, setting) = g_value_get_boolean (value);
}

gpointer
_interp_config_new_object (GType               type,
                           const InterpConfig *config,
                           guint               n_props,
                           const char        **names,
                           GValue             *values)
{
  guint n = n_props + INTERP_CONFIG_N_SETTINGS;
  GObject *object;

  for (guint i = 0; i < INTERP_CONFIG_N_SETTINGS; i++)
    {
      names[n_props + i] = properties[i].name;
      g_value_init (&values[n_props + i], setting_type (i));
      _interp_config_get_value (config, i, &values[n_props + i]);
    }
  object = g_object_new_with_properties (type, n, names, values);
  for (guint i = 0; i < n; i++)
    g_value_unset (&values[i]);
  return object;
}
