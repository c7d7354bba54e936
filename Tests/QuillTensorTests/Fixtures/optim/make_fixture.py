"""Writes optim.json and schedules.json: torch.optim references for Quill's optimizers and schedules.

Each optimizer case runs ten steps on fixed gradients (seeded torch.randn) and records the
parameters after every step and the final optimizer state under Quill's state keys. The
schedule cases record the rate at each step. Run from anywhere:

    python3 Tests/QuillTensorTests/Fixtures/optim/make_fixture.py
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 10
SHAPES = [[4, 5], [5], [3, 4]]  # a weight (20 elements: SIMD body and tail), a bias, an embedding


def nanogpt_lr(it, learning_rate, min_lr, warmup_iters, lr_decay_iters):
    """nanoGPT's train.py get_lr, verbatim apart from taking its settings as arguments."""
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
    return min_lr + coeff * (learning_rate - min_lr)


CASES = [
    dict(name="sgd", optimizer="sgd", learningRate=0.1,
         groups=[dict(weightDecay=0.0, parameters=[0, 1, 2])]),
    dict(name="sgd_momentum_weight_decay", optimizer="sgd", learningRate=0.05, momentum=0.9,
         groups=[dict(weightDecay=0.01, parameters=[0, 1, 2])]),
    dict(name="sgd_dampening", optimizer="sgd", learningRate=0.05, momentum=0.8, dampening=0.25,
         groups=[dict(weightDecay=0.0, parameters=[0, 1, 2])]),
    dict(name="sgd_nesterov_groups", optimizer="sgd", learningRate=0.05, momentum=0.9, nesterov=True,
         groups=[dict(weightDecay=0.1, parameters=[0]), dict(weightDecay=0.0, parameters=[1, 2])]),
    dict(name="adam_l2", optimizer="adam", learningRate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8,
         groups=[dict(weightDecay=0.01, parameters=[0, 1, 2])]),
    dict(name="adamw", optimizer="adamw", learningRate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8,
         groups=[dict(weightDecay=0.01, parameters=[0, 1, 2])]),
    # nanoGPT's setup: decay only on matrices, betas (0.9, 0.95), warmup-cosine rate, clipping at 1.0;
    # the embedding gets no gradient at step 3, so its step count falls one behind.
    dict(name="adamw_groups_schedule_clip", optimizer="adamw", learningRate=6e-3, beta1=0.9, beta2=0.95,
         epsilon=1e-8, groups=[dict(weightDecay=0.1, parameters=[0]), dict(weightDecay=0.0, parameters=[1, 2])],
         schedule=dict(kind="warmupCosine", maxRate=6e-3, minRate=6e-4, warmupSteps=3, decaySteps=8),
         maxGradientNorm=1.0, skip=[[3, 2]]),
]


def run_case(index, case):
    generator = torch.Generator().manual_seed(1000 + index)
    params = [torch.randn(shape, generator=generator).requires_grad_() for shape in SHAPES]
    initial = [p.detach().flatten().tolist() for p in params]
    groups = [dict(params=[params[i] for i in g["parameters"]], weight_decay=g["weightDecay"]) for g in case["groups"]]
    if case["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(groups, lr=case["learningRate"], momentum=case.get("momentum", 0.0),
                                    dampening=case.get("dampening", 0.0), nesterov=case.get("nesterov", False),
                                    foreach=False)
    else:
        kind = torch.optim.Adam if case["optimizer"] == "adam" else torch.optim.AdamW
        optimizer = kind(groups, lr=case["learningRate"], betas=(case["beta1"], case["beta2"]), eps=case["epsilon"],
                         foreach=False)
    skip = {tuple(s) for s in case.get("skip", [])}
    gradients, rates, norms, expected = [], [], [], []
    for step in range(STEPS):
        step_gradients = []
        for i, p in enumerate(params):
            if (step, i) in skip:
                p.grad = None
                step_gradients.append(None)
            else:
                g = torch.randn(p.shape, generator=generator)
                p.grad = g.clone()
                step_gradients.append(g.flatten().tolist())
        gradients.append(step_gradients)
        if "schedule" in case:
            s = case["schedule"]
            rate = nanogpt_lr(step, s["maxRate"], s["minRate"], s["warmupSteps"], s["decaySteps"])
            for group in optimizer.param_groups:
                group["lr"] = rate
        rates.append(optimizer.param_groups[0]["lr"])
        if "maxGradientNorm" in case:
            norms.append(torch.nn.utils.clip_grad_norm_(params, case["maxGradientNorm"]).item())
        optimizer.step()
        expected.append([p.detach().flatten().tolist() for p in params])

    flat = [p for g in case["groups"] for p in g["parameters"]]
    assert flat == list(range(len(params))), "groups must list parameters in order"
    state = {}
    for i, p in enumerate(params):
        s = optimizer.state.get(p, {})
        if "momentum_buffer" in s:
            state[f"sgd.momentum.{i}"] = s["momentum_buffer"].flatten().tolist()
        if "exp_avg" in s:
            state[f"adam.m.{i}"] = s["exp_avg"].flatten().tolist()
            state[f"adam.v.{i}"] = s["exp_avg_sq"].flatten().tolist()
            state[f"adam.step.{i}"] = [float(s["step"])]
    result = {k: v for k, v in case.items() if k != "skip"}
    result.update(shapes=SHAPES, initial=initial, gradients=gradients, learningRates=rates,
                  expected=expected, state=state)
    if norms:
        result["norms"] = norms
    return result


def schedule_cases():
    cases = []
    for s in [dict(maxRate=6e-4, minRate=6e-5, warmupSteps=10, decaySteps=50),
              dict(maxRate=1e-3, minRate=0.0, warmupSteps=0, decaySteps=20)]:
        rates = [nanogpt_lr(it, s["maxRate"], s["minRate"], s["warmupSteps"], s["decaySteps"])
                 for it in range(s["decaySteps"] + 10)]
        name = f"warmup_cosine_{s['warmupSteps']}_{s['decaySteps']}"
        cases.append(dict(name=name, schedule=dict(kind="warmupCosine", **s), rates=rates))

    def torch_rates(initial, make_scheduler, count):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=initial)
        scheduler = make_scheduler(optimizer)
        rates = []
        for _ in range(count):
            rates.append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
        return rates

    for interval, factor in [(7, 0.5), (1, 0.9)]:
        cases.append(dict(name=f"step_decay_{interval}_{factor}",
                          schedule=dict(kind="stepDecay", initialRate=0.1, interval=interval, factor=factor),
                          rates=torch_rates(0.1, lambda o: torch.optim.lr_scheduler.StepLR(o, interval, factor), 30)))
    cases.append(dict(name="constant", schedule=dict(kind="constant", rate=3e-4),
                      rates=torch_rates(3e-4, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda _: 1.0), 5)))
    return cases


def main():
    header = dict(generator="make_fixture.py", torch=torch.__version__, steps=STEPS)
    with open(os.path.join(HERE, "optim.json"), "w") as f:
        json.dump(dict(header, cases=[run_case(i, c) for i, c in enumerate(CASES)]), f)
        f.write("\n")
    with open(os.path.join(HERE, "schedules.json"), "w") as f:
        json.dump(dict(header, cases=schedule_cases()), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
