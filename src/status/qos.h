// The pod's QoS class (the kubelet's v1qos.GetPodQOS), reported in
// status.qosClass: Guaranteed when every container limits cpu and memory and
// requests equal limits, BestEffort when nothing requests or limits either,
// Burstable otherwise. Pod-level resources, when set, decide alone.
//
// A pure function; safe from any thread.
#ifndef CUBELET_STATUS_QOS_H_
#define CUBELET_STATUS_QOS_H_

#include <string>

#include "api/pod.h"

namespace cubelet::status {

inline constexpr char kQOSGuaranteed[] = "Guaranteed";
inline constexpr char kQOSBurstable[] = "Burstable";
inline constexpr char kQOSBestEffort[] = "BestEffort";

std::string GetPodQOS(const api::Pod& pod);

}  // namespace cubelet::status

#endif  // CUBELET_STATUS_QOS_H_
