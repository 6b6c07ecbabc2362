/* interp-config-private.h: the interpreter configurations, named once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "interp-executor-private.h"

G_BEGIN_DECLS

/* The configurations with a name, as CPython's init_named_config() has
 * them. */
typedef enum
{
  /* An interpreter of its own: own GIL (where the Python has one) and
   * allocator, no fork, no exec, no daemon threads, extension modules
   * checked. The properties' defaults. */
  INTERP_CONFIG_ISOLATED,
  /* What every interpreter got before Python 3.12: the shared GIL and
   * allocator, and everything allowed. create(isolated=False). */
  INTERP_CONFIG_LEGACY,
} InterpConfigName;

InterpConfig    _interp_config_named           (InterpConfigName    name);

/* The settings of an #InterpConfig, in the order of the GObject properties
 * that carry them: the same on #InterpInterpreter and #InterpPool. */
typedef enum
{
  INTERP_CONFIG_GIL,
  INTERP_CONFIG_USE_MAIN_OBMALLOC,
  INTERP_CONFIG_ALLOW_FORK,
  INTERP_CONFIG_ALLOW_EXEC,
  INTERP_CONFIG_ALLOW_THREADS,
  INTERP_CONFIG_ALLOW_DAEMON_THREADS,
  INTERP_CONFIG_CHECK_MULTI_INTERP_EXTENSIONS,
  INTERP_CONFIG_N_SETTINGS
} InterpConfigSetting;

/* The property name of @setting ("gil", "allow-fork"...). */
const char     *_interp_config_property_name   (InterpConfigSetting setting);
/* A new construct-only property for @setting, the isolated settings its
 * default: the same on #InterpInterpreter and #InterpPool. */
GParamSpec     *_interp_config_param_spec      (InterpConfigSetting setting);
/* @value holds @setting's property type, as in a get_property() vfunc. */
void            _interp_config_get_value       (const InterpConfig *config,
                                                InterpConfigSetting setting,
                                                GValue             *value);
void            _interp_config_set_value       (InterpConfig       *config,
                                                InterpConfigSetting setting,
                                                const GValue       *value);
/* A new @type (#InterpInterpreter or #InterpPool, not initialized) with
 * every setting of @config and @n_props properties of the caller's: those
 * are the first of @names and @values, which have room for the
 * INTERP_CONFIG_N_SETTINGS settings after them. Unsets @values. */
gpointer        _interp_config_new_object      (GType               type,
                                                const InterpConfig *config,
                                                guint               n_props,
                                                const char        **names,
                                                GValue             *values);

G_END_DECLS
