"""Read a dmf model directory with NumPy alone, and predict, recommend and
find similar items the way the dmf command does.

    import dmf_model
    m = dmf_model.load("model")
    m.predict(["42", "7"], ["1193", "661"])     # array of predicted ratings
    items, scores = m.recommend("42", 10, exclude=["1193"])
    items, cosines = m.similar_items("1193", 5)

The model is r̂(u,i) = μ + b_u + b_i + p_u·q_i (README, "The model"). The
directory holds manifest.json (format_version, k, biases, mu, rating_min,
rating_max, ...), user_factors.npy / item_factors.npy (float32, rows × k),
user_bias.npy / item_bias.npy (float32, one per row) and user_ids.txt /
item_ids.txt (the original ID of each row, one per line), rows sorted by ID
(README, "The model directory").

Scores are computed in double precision; dmf computes in single precision,
so the two agree to about 1e-6 and two items whose scores are that close
may be ranked the other way round. Equal scores go to the lower row (the
lower ID in the model's order), as in `dmf recommend`.
"""

import json
import os

import numpy as np

FORMAT_VERSION = 1
_BIASES = {"none": (False, False), "user": (True, False), "item": (False, True), "both": (True, True)}


def load(directory):
    """The model in `directory` (what `dmf train --out` wrote)."""
    return Model(directory)


class Model:
    """A trained dmf model: its factors, biases, μ and the original IDs."""

    def __init__(self, directory):
        self.directory = directory
        manifest_path = os.path.join(directory, "manifest.json")
        try:
            with open(manifest_path, encoding="utf-8") as f:
                self.manifest = json.load(f)
        except OSError as e:
            raise ValueError("%s is not a dmf model directory: cannot read %s: %s"
                             % (directory, manifest_path, e.strerror)) from e
        version = self.manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError("%s: format_version %r is not %d, the version this module reads"
                             % (manifest_path, version, FORMAT_VERSION))
        for key in ("k", "mu", "biases"):
            if key not in self.manifest:
                raise ValueError('%s: "%s" is missing' % (manifest_path, key))
        self.k = int(self.manifest["k"])
        self.mu = float(self.manifest["mu"])
        self.biases = self.manifest["biases"]
        if self.biases not in _BIASES:
            raise ValueError('%s: "biases" is %r, not none, user, item or both'
                             % (manifest_path, self.biases))
        self.rating_min = self.manifest.get("rating_min")
        self.rating_max = self.manifest.get("rating_max")

        user_bias, item_bias = _BIASES[self.biases]
        self.user_ids, self._user_row = self._read_ids("user_ids.txt")
        self.item_ids, self._item_row = self._read_ids("item_ids.txt")
        self.user_factors = self._read_factors("user_factors.npy", len(self.user_ids))
        self.item_factors = self._read_factors("item_factors.npy", len(self.item_ids))
        self.user_bias = self._read_bias("user_bias.npy", len(self.user_ids), user_bias)
        self.item_bias = self._read_bias("item_bias.npy", len(self.item_ids), item_bias)

    # --- reading -------------------------------------------------------------

    def _path(self, name):
        return os.path.join(self.directory, name)

    def _read_ids(self, name):
        with open(self._path(name), "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
        ids = text.split("\n")
        if ids and ids[-1] == "":
            ids.pop()
        return ids, {token: row for row, token in enumerate(ids)}

    def _read_factors(self, name, rows):
        factors = np.load(self._path(name))
        if factors.shape != (rows, self.k):
            raise ValueError("%s: shape %s, expected (%d, %d) (rows of the ID file, k)"
                             % (self._path(name), factors.shape, rows, self.k))
        return factors

    def _read_bias(self, name, rows, used):
        path = self._path(name)
        if not os.path.exists(path):
            if used:
                raise ValueError("%s is missing (the manifest says biases = %s)"
                                 % (path, self.biases))
            return np.zeros(rows, dtype=np.float32)
        bias = np.load(path)
        if bias.shape != (rows,):
            raise ValueError("%s: shape %s, expected (%d,)" % (path, bias.shape, rows))
        # A side without bias has zeros in its file; the manifest decides.
        return bias if used else np.zeros_like(bias)

    # --- looking up IDs ------------------------------------------------------

    def user_row(self, user):
        """The row of a user ID, or None when the model has not seen it."""
        return self._user_row.get(str(user))

    def item_row(self, item):
        """The row of an item ID, or None when the model has not seen it."""
        return self._item_row.get(str(item))

    def _rows(self, ids, lookup, side, cold_start):
        rows = np.empty(len(ids), dtype=np.int64)
        for n, token in enumerate(ids):
            row = lookup.get(str(token))
            if row is None:
                if cold_start == "error":
                    raise KeyError("%s %s is not in the model" % (side, token))
                row = -1
            rows[n] = row
        return rows

    # --- predicting ----------------------------------------------------------

    def predict(self, users, items, cold_start="mean", clip=False):
        """Predicted ratings of the pairs (users[n], items[n]), like `dmf
        predict`: μ + b_u + b_i + p_u·q_i. An ID the model has not seen is,
        with cold_start="mean" (dmf's default), predicted from μ and the
        bias of whichever side is known; with "error" it raises KeyError
        naming it. clip=True clips to the training ratings' range (--clip).
        Scalars give a float, sequences an array."""
        if cold_start not in ("mean", "error"):
            raise ValueError("cold_start must be 'mean' or 'error', not %r" % (cold_start,))
        scalar = np.ndim(users) == 0 and np.ndim(items) == 0
        users = [users] if np.ndim(users) == 0 else list(users)
        items = [items] if np.ndim(items) == 0 else list(items)
        if len(users) != len(items):
            raise ValueError("%d users but %d items" % (len(users), len(items)))
        u = self._rows(users, self._user_row, "user", cold_start)
        i = self._rows(items, self._item_row, "item", cold_start)
        known_u, known_i = u >= 0, i >= 0
        both = known_u & known_i
        out = np.full(len(u), self.mu)
        out[known_u] += self.user_bias[u[known_u]]
        out[known_i] += self.item_bias[i[known_i]]
        p = self.user_factors[u[both]].astype(np.float64)
        q = self.item_factors[i[both]].astype(np.float64)
        out[both] += np.einsum("nk,nk->n", p, q)
        if clip:
            if self.rating_min is None or self.rating_max is None:
                raise ValueError("clip: the manifest of %s has no rating_min / rating_max"
                                 % self.directory)
            out = np.clip(out, self.rating_min, self.rating_max)
        return float(out[0]) if scalar else out

    def scores(self, user, cold_start="mean"):
        """The predicted rating of every item (in row order) for one user."""
        row = self._rows([user], self._user_row, "user", cold_start)[0]
        out = self.mu + self.item_bias.astype(np.float64)
        if row >= 0:
            out += self.user_bias[row]
            out += self.item_factors.astype(np.float64) @ self.user_factors[row].astype(np.float64)
        return out

    def recommend(self, user, n=10, exclude=(), cold_start="mean"):
        """The n items with the highest predicted rating for `user`, best
        first, as (item IDs, scores), like `dmf recommend --user`. Items in
        `exclude` (IDs; unknown ones are ignored) are never recommended.
        Equal scores go to the lower row. A user the model has not seen gets
        the items with the highest μ + b_i (cold_start="mean", dmf's
        default) or raises KeyError ("error")."""
        scores = self.scores(user, cold_start)
        keep = np.ones(len(scores), dtype=bool)
        for item in exclude:
            row = self._item_row.get(str(item))
            if row is not None:
                keep[row] = False
        return self._best(scores, keep, n)

    def similar_items(self, item, n=10):
        """The n items whose factors have the highest cosine with `item`'s
        (itself left out), best first, as (item IDs, cosines). A zero factor
        row has cosine 0 with everything. Raises KeyError for an unknown ID."""
        row = self._item_row.get(str(item))
        if row is None:
            raise KeyError("item %s is not in the model" % (item,))
        q = self.item_factors.astype(np.float64)
        norms = np.linalg.norm(q, axis=1)
        safe = np.where(norms > 0, norms, 1.0)
        cosines = (q @ q[row]) / (safe * safe[row])
        cosines[norms == 0] = 0.0
        if norms[row] == 0:
            cosines[:] = 0.0
        keep = np.ones(len(cosines), dtype=bool)
        keep[row] = False
        return self._best(cosines, keep, n)

    def _best(self, scores, keep, n):
        rows = np.flatnonzero(keep)
        # Highest score first, then the lower row (np.lexsort: last key first).
        order = rows[np.lexsort((rows, -scores[rows]))][: max(int(n), 0)]
        return [self.item_ids[r] for r in order], scores[order]
