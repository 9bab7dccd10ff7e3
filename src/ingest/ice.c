/* See ice.h. */
#include "ice.h"

#include <nice/agent.h>
#include <nice/interfaces.h>

void
cr_ice_configure (GstElement *webrtcbin)
{
  GObject *ice = NULL;
  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  if (ice == NULL)
    return;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp") != NULL)
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  NiceAgent *agent = NULL;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") != NULL)
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL) {
    g_object_set (agent, "upnp", FALSE, NULL);
    GList *ips = nice_interfaces_get_local_ips (TRUE);
    for (GList *l = ips; l != NULL; l = l->next) {
      NiceAddress addr;
      if (nice_address_set_from_string (&addr, l->data))
        nice_agent_add_local_address (agent, &addr);
    }
    g_list_free_full (ips, g_free);
    g_object_unref (agent);
  }
  g_object_unref (ice);
}
