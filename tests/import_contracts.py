"""Import contracts of our own, for import-linter (the `[tool.importlinter]` table
in pyproject.toml names them; scripts/test runs `lint-imports`).

`acyclic_modules`: no module imports itself through others. import-linter's own
`acyclic_siblings` compares whole packages, and our feature apps still lean on
each other both ways at that level (docs/adr/0007-layers.md); the finer promise
holds everywhere: no circle of modules, deferred imports (inside functions)
included, since grimp reads those too. A deferred import that dodges a cycle is
a cycle.
"""

from collections import deque

import grimp
from importlinter import Contract, ContractCheck, fields, output


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        modules: set[str] = set()
        for package in self.packages:  # type: ignore[attr-defined]
            modules |= {package, *graph.find_descendants(package)}
        tangles = _tangles(graph, modules)
        described = []
        for tangle in tangles:
            cycle = _a_cycle(graph, tangle)
            steps = zip(cycle, [*cycle[1:], cycle[0]], strict=True)
            described.append(
                (
                    sorted(tangle),
                    [(a, b, _lines(graph, a, b)) for a, b in steps],
                )
            )
        return ContractCheck(kept=not tangles, metadata={"tangles": described})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for tangle, cycle in check.metadata["tangles"]:
            output.print_error(f"{len(tangle)} modules import each other: {', '.join(tangle)}")
            output.print_error("One circle among them:", bold=False)
            for importer, imported, lines in cycle:
                output.print_error(f"- {importer} -> {imported} ({lines})", bold=False)
            output.new_line()


def _imports(graph: grimp.ImportGraph, module: str, within: set[str]) -> list[str]:
    return sorted(graph.find_modules_directly_imported_by(module) & within)


def _tangles(graph: grimp.ImportGraph, modules: set[str]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(_imports(graph, root, modules)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            successor = next(successors, None)
            if successor is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(component)
            elif successor not in index:
                index[successor] = low[successor] = len(index)
                stack.append(successor)
                on_stack.add(successor)
                work.append((successor, iter(_imports(graph, successor, modules))))
            elif successor in on_stack:
                low[module] = min(low[module], index[successor])
    return found


def _a_cycle(graph: grimp.ImportGraph, component: set[str]) -> list[str]:
    """One shortest circle through the first module of a tangle, to show."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in _imports(graph, module, component):
            if imported == start:
                cycle = [module]
                while cycle[-1] != start:
                    cycle.append(came_from[cycle[-1]])
                return cycle[::-1]
            if imported not in came_from:
                came_from[imported] = module
                queue.append(imported)
    raise AssertionError("a strongly connected component always holds a cycle")


def _lines(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    numbers = [
        detail["line_number"]
        for detail in graph.get_import_details(importer=importer, imported=imported)
    ]
    return "l." + ", ".join(str(n) for n in numbers)
