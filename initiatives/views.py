from django.views.generic import DetailView, ListView

from .models import Initiative, Membership


class InitiativeListView(ListView):
    template_name = "initiatives/initiative_list.html"
    context_object_name = "initiatives"

    def get_queryset(self):
        return Initiative.objects.published().with_member_count().with_public_hosts().order_by("name")


class InitiativeDetailView(DetailView):
    template_name = "initiatives/initiative_detail.html"
    context_object_name = "initiative"

    def get_queryset(self):
        return Initiative.objects.published().select_related("operator").with_public_people()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        initiative = self.object
        memberships, hosts = initiative.public_memberships, initiative.public_hosts
        operator = initiative.operator
        context.update(
            operator=operator if operator and operator.is_public else None,
            hosts=hosts_with_roles(hosts, memberships),
            member_groups=members_by_role(memberships, hosts=hosts),
            member_count=len(memberships),
            key_figures=list(initiative.key_figures.published()),
            contacts=list(initiative.contacts.public()),
        )
        return context


def hosts_with_roles(hosts, memberships):
    """[{"organisation", "membership"}]: each host with its own membership, if it is also a member."""
    by_organisation = {membership.organisation_id: membership for membership in memberships}
    return [{"organisation": host, "membership": by_organisation.get(host.pk)} for host in hosts]


# The order a visitor reads the groups in: who runs it first, former members last.
ROLE_ORDER = [
    Membership.Role.FOUNDING_PARTNER,
    Membership.Role.PARTNER,
    Membership.Role.RESIDENT,
    Membership.Role.MEMBER,
    Membership.Role.ALUMNUS,
]

ROLE_TITLES = {
    Membership.Role.FOUNDING_PARTNER: "Founding partners",
    Membership.Role.PARTNER: "Partners",
    Membership.Role.RESIDENT: "Residents",
    Membership.Role.MEMBER: "Members",
    Membership.Role.ALUMNUS: "Alumni",
}


def members_by_role(memberships, *, hosts=()):
    """Members grouped by role, in ROLE_ORDER; hosts are left out, as they are listed once as hosts."""
    host_ids = {host.pk for host in hosts}
    groups = {role: [] for role in ROLE_ORDER}
    for membership in memberships:
        if membership.organisation_id not in host_ids:
            groups.setdefault(membership.role, []).append(membership)
    return [
        {"role": role, "title": ROLE_TITLES.get(role, role), "memberships": items}
        for role, items in groups.items()
        if items
    ]
