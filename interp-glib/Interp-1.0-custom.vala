// Hand-written additions to interp-glib-1.0.vapi (vapigen merges them with
// what it reads from the GIR).
//
// SPDX-License-Identifier: LGPL-2.1-or-later

namespace Interp {
	// A size property and get (): `foreach (var item in results)` works,
	// as it does over Gee's lists.
	public sealed class MapResults : GLib.Object, GLib.ListModel {
		public uint size { [CCode (cname = "interp_map_results_get_size")] get; }
	}
}
