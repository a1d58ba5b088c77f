"""chainrule.optim: optimizers and learning-rate schedulers with torch.optim's API.

    opt = chainrule.optim.SGD(params, lr=0.1, momentum=0.9)
    sched = chainrule.optim.lr_scheduler.StepLR(opt, step_size=10)
    loss.backward(); opt.step(); opt.zero_grad(); sched.step()
"""
from . import lr_scheduler
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
