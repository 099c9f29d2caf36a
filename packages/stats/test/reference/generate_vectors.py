"""Independent high-precision reference for packages/stats/test/vectors.json.

Re-implements every method with mpmath at 50 significant digits (exact rational
arithmetic where possible, the exact Beta sum for probabilityToBeatControl) so the
TypeScript engine is checked against values that do not share its floating-point
shortcuts. Run:  python3 generate_vectors.py > ../vectors.json   (needs mpmath).
"""
import json
import mpmath as mp

mp.mp.dps = 50


def z_critical(confidence):
    return mp.sqrt(2) * mp.erfinv(mp.mpf(confidence))


def wilson(x, n, z):
    if n == 0:
        return [mp.mpf(0), mp.mpf(1)]
    z2 = z * z
    centre = x + z2 / 2
    spread = z * mp.sqrt(mp.mpf(x) * (n - x) / n + z2 / 4)
    denominator = n + z2
    low = mp.mpf(0) if x == 0 else (centre - spread) / denominator
    high = mp.mpf(1) if x == n else (centre + spread) / denominator
    return [low, high]


def rate(x, n):
    return mp.mpf(0) if n == 0 else mp.mpf(x) / n


def newcombe(xt, nt, xc, nc, z):
    pt, pc = rate(xt, nt), rate(xc, nc)
    lt, ut = wilson(xt, nt, z)
    lc, uc = wilson(xc, nc, z)
    d = pt - pc
    low = d - mp.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
    high = d + mp.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    return [max(mp.mpf(-1), low), min(mp.mpf(1), high)]


def relative_lift(xt, nt, xc, nc):
    if nc == 0 or xc == 0:
        return None
    pc = rate(xc, nc)
    return (rate(xt, nt) - pc) / pc


def relative_interval(xt, nt, xc, nc, z):
    lift = relative_lift(xt, nt, xc, nc)
    if lift is None or nt == 0:
        return None
    pt, pc = rate(xt, nt), rate(xc, nc)
    var = pt * (1 - pt) / (nt * pc ** 2) + pt ** 2 * pc * (1 - pc) / (nc * pc ** 4)
    half = z * mp.sqrt(var)
    return [max(mp.mpf(-1), lift - half), lift + half]


def z_test_p(xt, nt, xc, nc):
    s, t = xt + xc, nt + nc
    if nt == 0 or nc == 0 or s == 0 or s == t:
        return mp.mpf(1)
    pooled = mp.mpf(s) / t
    se = mp.sqrt(pooled * (1 - pooled) * (mp.mpf(1) / nt + mp.mpf(1) / nc))
    zz = (rate(xt, nt) - rate(xc, nc)) / se
    return mp.erfc(abs(zz) / mp.sqrt(2))


def holm(ps):
    m = len(ps)
    order = sorted(range(m), key=lambda i: (ps[i], i))
    out = [None] * m
    running = mp.mpf(0)
    for rank, i in enumerate(order):
        running = max(running, min(mp.mpf(1), (m - rank) * ps[i]))
        out[i] = running
    return out


def sum_over_alpha_b(a_a, b_a, a_b, b_b):
    """P(p_B > p_A) = sum_{i < a_b} B(a_a+i, b_a+b_b) / ((b_b+i) B(1+i, b_b) B(a_a, b_a))."""
    term = mp.exp(mp.loggamma(b_a + b_b) + mp.loggamma(a_a + b_a) - mp.loggamma(b_a) - mp.loggamma(a_a + b_a + b_b))
    total = a_a + b_a + b_b
    acc = mp.mpf(0)
    for i in range(a_b):
        acc += term
        term = term * mp.mpf((a_a + i) * (b_b + i)) / mp.mpf((total + i) * (i + 1))
    return acc


def beat(xt, nt, xc, nc):
    at, bt, ac, bc = 1 + xt, 1 + nt - xt, 1 + xc, 1 + nc - xc
    if (at, bt) == (ac, bc):
        return mp.mpf(0.5)
    smallest = min(at, bt, ac, bc)
    if smallest == at:
        return sum_over_alpha_b(ac, bc, at, bt)
    if smallest == ac:
        return 1 - sum_over_alpha_b(at, bt, ac, bc)
    if smallest == bc:
        return sum_over_alpha_b(bt, at, bc, ac)
    return 1 - sum_over_alpha_b(bc, ac, bt, at)


def srm(sizes, splits):
    total = sum(sizes)
    if total == 0:
        return None
    split_total = sum(mp.mpf(s) for s in splits)
    chi, cells = mp.mpf(0), 0
    for n, s in zip(sizes, splits):
        if s == 0:
            if n > 0:
                return {"chiSquare": None, "pValue": 0.0, "detected": True}
            continue
        e = total * mp.mpf(s) / split_total
        chi += (n - e) ** 2 / e
        cells += 1
    if cells < 2:
        return {"chiSquare": 0.0, "pValue": 1.0, "detected": False}
    p = mp.gammainc(mp.mpf(cells - 1) / 2, chi / 2, mp.inf, regularized=True)
    return {"chiSquare": num(chi), "pValue": num(p), "detected": bool(p < mp.mpf("0.001"))}


def num(v):
    return None if v is None else float(v)


def pair(v):
    return None if v is None else [float(v[0]), float(v[1])]


def analyze(case):
    variants = case["variants"]
    confidence = case.get("confidenceLevel", 0.95)
    control_id = case.get("controlVariantId", variants[0]["variantId"])
    ci = next(i for i, v in enumerate(variants) if v["variantId"] == control_id)
    z = z_critical(confidence)
    c = variants[ci]
    xc, nc = c["conversions"], c["sampleSize"]
    rows, pvals = [], []
    for i, v in enumerate(variants):
        xt, nt = v["conversions"], v["sampleSize"]
        row = {
            "variantId": v["variantId"], "variantName": v["variantName"], "isControl": i == ci,
            "sampleSize": nt, "conversions": xt, "conversionRate": num(rate(xt, nt)),
            "conversionRateInterval": pair(wilson(xt, nt, z)),
            "absoluteLift": None, "absoluteLiftInterval": None, "relativeLift": None,
            "relativeLiftInterval": None, "pValue": None, "adjustedPValue": None,
            "significant": None, "probabilityToBeatControl": None,
        }
        if i != ci:
            p = z_test_p(xt, nt, xc, nc)
            pvals.append((i, p))
            row.update({
                "absoluteLift": num(rate(xt, nt) - rate(xc, nc)),
                "absoluteLiftInterval": pair(newcombe(xt, nt, xc, nc, z)),
                "relativeLift": num(relative_lift(xt, nt, xc, nc)),
                "relativeLiftInterval": pair(relative_interval(xt, nt, xc, nc, z)),
                "pValue": num(p),
                "probabilityToBeatControl": num(beat(xt, nt, xc, nc)),
            })
        rows.append(row)
    adjusted = holm([p for _, p in pvals])
    alpha = 1 - mp.mpf(confidence)
    for (i, _), a in zip(pvals, adjusted):
        rows[i]["adjustedPValue"] = num(a)
        rows[i]["significant"] = bool(a < alpha)
    return {
        "controlVariantId": control_id, "confidenceLevel": confidence,
        "srm": srm([v["sampleSize"] for v in variants], [v["splitPercentage"] for v in variants]),
        "variants": rows,
    }


def variant(vid, n, x, split, name=None):
    return {"variantId": vid, "variantName": name or vid, "sampleSize": n, "conversions": x, "splitPercentage": split}


CASES = [
    {"name": "seed example: 45/250 control vs 67/250 treatment", "input": {"variants": [
        variant("control", 250, 45, 50, "Control"), variant("treatment", 250, 67, 50, "Treatment")]}},
    {"name": "Newcombe 1998 Table II (a): 56/70 vs control 48/80", "input": {"variants": [
        variant("control", 80, 48, 50), variant("treatment", 70, 56, 50)]}},
    {"name": "Newcombe 1998 Table II (d): 5/56 vs control 0/29 (zero control conversions)", "input": {"variants": [
        variant("control", 29, 0, 1), variant("treatment", 56, 5, 2)]}},
    {"name": "five variants, confidence 0.90, control is the third variant", "input": {
        "confidenceLevel": 0.9, "controlVariantId": "c", "variants": [
            variant("a", 1200, 130, 20), variant("b", 1180, 151, 20), variant("c", 1210, 121, 20),
            variant("d", 1195, 119, 20), variant("e", 1230, 170, 20)]}},
    {"name": "confidence 0.99 with zero conversions, all converting, n = 1 and an empty arm", "input": {
        "confidenceLevel": 0.99, "variants": [
            variant("control", 40, 12, 25), variant("none", 35, 0, 25), variant("all", 30, 30, 25),
            variant("one", 1, 1, 25), variant("empty", 0, 0, 0)]}},
    {"name": "SRM detected: 60/40 traffic on a 50/50 split", "input": {"variants": [
        variant("control", 6000, 600, 50), variant("treatment", 4000, 420, 50)]}},
    {"name": "10^7 users per arm, low conversion (quadrature path)", "input": {"variants": [
        variant("control", 10_000_000, 120_000, 1), variant("t1", 10_000_000, 120_450, 1),
        variant("t2", 10_000_000, 119_700, 1)]}},
    {"name": "unequal arms: 10^7 control vs 2*10^5 treatment", "input": {"variants": [
        variant("control", 10_000_000, 250_000, 98), variant("treatment", 200_000, 5_150, 2)]}},
    {"name": "no participants yet", "input": {"variants": [
        variant("control", 0, 0, 50), variant("treatment", 0, 0, 50)]}},
]


def main():
    out = {
        "about": "Golden vectors for @experiments/stats: each input with the expected analyzeExperiment output, "
                 "computed independently with mpmath at 50 digits by test/reference/generate_vectors.py.",
        "cases": [{"name": c["name"], "input": c["input"], "expected": analyze(c["input"])} for c in CASES],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
